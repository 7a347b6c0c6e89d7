/**
 * Who holds a TCP port on this machine (Linux /proc): listening sockets and connections whose
 * local end is that port. "Port 56150 is in use" is a dead end; "held by pid 812 (node
 * dist/bench/run.js), a connection to 127.0.0.1:40123" says what to stop.
 */
import fs from 'node:fs';

export interface PortHolder {
  state: 'listening' | 'connected' | 'other';
  remote: string;
  pid?: number;
  command?: string;
}

const TCP_STATE: Record<string, PortHolder['state']> = { '0A': 'listening', '01': 'connected' };

/** "0100007F:1F90" (little-endian IPv4) or a 32-hex-digit IPv6 address → "127.0.0.1:8080". */
function address(hex: string): string {
  const [ip, port] = hex.split(':');
  const p = parseInt(port, 16);
  if (ip.length === 8) return `${[0, 2, 4, 6].map((i) => parseInt(ip.slice(i, i + 2), 16)).reverse().join('.')}:${p}`;
  return `[${ip}]:${p}`;
}

function socketsOn(port: number): Array<{ inode: string; state: PortHolder['state']; remote: string }> {
  const found: Array<{ inode: string; state: PortHolder['state']; remote: string }> = [];
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = '';
    try {
      text = fs.readFileSync(table, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length < 10 || parseInt(f[1].split(':')[1], 16) !== port) continue;
      // TIME_WAIT and the like belong to no process and do not stop a listener.
      const state = TCP_STATE[f[3]] ?? 'other';
      if (state !== 'other') found.push({ inode: f[9], state, remote: address(f[2]) });
    }
  }
  return found;
}

/** Processes whose open files include the socket inodes (those this user may inspect). */
function owners(inodes: Set<string>): Map<string, { pid: number; command: string }> {
  const byInode = new Map<string, { pid: number; command: string }>();
  for (const pid of fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    let fds: string[];
    try {
      fds = fs.readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      let link = '';
      try {
        link = fs.readlinkSync(`/proc/${pid}/fd/${fd}`);
      } catch {
        continue;
      }
      const inode = /^socket:\[(\d+)\]$/.exec(link)?.[1];
      if (inode && inodes.has(inode) && !byInode.has(inode)) {
        let command = '';
        try {
          command = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ').slice(0, 200);
        } catch {
          /* gone meanwhile */
        }
        byInode.set(inode, { pid: Number(pid), command });
      }
    }
  }
  return byInode;
}

export function portHolders(port: number): PortHolder[] {
  const sockets = socketsOn(port);
  if (sockets.length === 0) return [];
  const who = owners(new Set(sockets.map((s) => s.inode)));
  return sockets.map((s) => ({ state: s.state, remote: s.remote, ...who.get(s.inode) }));
}

/** One line per holder, for a report. */
export function describeHolders(port: number): string {
  const holders = portHolders(port);
  if (holders.length === 0) return `nothing on this machine holds port ${port} now (it was released meanwhile, or is held in another network namespace)`;
  return holders
    .map((h) => {
      const what = h.state === 'listening' ? 'listening' : `a connection from this port to ${h.remote}`;
      return `port ${port}: ${what}, ${h.pid ? `pid ${h.pid} (${h.command || 'unknown command'})` : 'by a process this user cannot inspect'}`;
    })
    .join('\n');
}
