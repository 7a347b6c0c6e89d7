/**
 * What a process tree has open on the network, read from Linux's /proc — the kernel's account, not
 * any process's own word: the processes of a tree (by parent pid), the TCP and UDP sockets each
 * one holds (its fd links `socket:[inode]` matched against /proc/<pid>/net/{tcp,tcp6,udp,udp6}),
 * and which of them listen or talk to something that is not loopback.
 *
 * The tree changes while it is read (processes start and exit): whatever vanished mid-read is skipped.
 */
import fs from 'node:fs';
import os from 'node:os';

export type Proto = 'tcp' | 'tcp6' | 'udp' | 'udp6';
const PROTOS: Proto[] = ['tcp', 'tcp6', 'udp', 'udp6'];

export interface Endpoint {
  address: string;
  port: number;
}

export interface ProcSocket {
  proto: Proto;
  local: Endpoint;
  remote: Endpoint;
  /** The kernel's state number: TCP 0x01 ESTABLISHED, 0x02 SYN_SENT, 0x0A LISTEN…; UDP 0x07 unconnected, 0x01 connected. */
  state: number;
  inode: number;
}

export interface OwnedSocket extends ProcSocket {
  pid: number;
  /** The owning process's command line, shortened, for failure messages. */
  command: string;
}

export const TCP_LISTEN = 0x0a;
const TCP_CLOSE = 0x07;
const UDP_UNCONNECTED = 0x07;

/**
 * One `address:port` field of /proc/net/*. The kernel prints the address as the raw words of its
 * in-memory struct: IPv4 one 32-bit word, IPv6 four, each in host byte order (little-endian on
 * x86 and arm64), so each word's bytes are reversed to get network order. The port is plain hex.
 */
export function decodeEndpoint(field: string, littleEndian = os.endianness() === 'LE'): Endpoint {
  const [hex, portHex] = field.split(':');
  if (!hex || !portHex || !/^[0-9A-Fa-f]+$/.test(hex) || (hex.length !== 8 && hex.length !== 32)) {
    throw new Error(`not a /proc/net address: ${field}`);
  }
  const bytes: number[] = [];
  for (let w = 0; w < hex.length; w += 8) {
    const word = hex.slice(w, w + 8).match(/../g)!.map((b) => parseInt(b, 16));
    bytes.push(...(littleEndian ? word.reverse() : word));
  }
  return { address: bytes.length === 4 ? bytes.join('.') : formatIpv6(bytes), port: parseInt(portHex, 16) };
}

function formatIpv6(bytes: number[]): string {
  const mapped = bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff;
  // Written the way Node reports it (server.address()), so a test can compare the two.
  if (mapped) return `::ffff:${bytes.slice(12).join('.')}`;
  const groups = Array.from({ length: 8 }, (_, i) => ((bytes[2 * i] << 8) | bytes[2 * i + 1]).toString(16));
  // The WHATWG URL parser writes the canonical compressed form (RFC 5952).
  return new URL(`http://[${groups.join(':')}]/`).hostname.slice(1, -1);
}

/** The rows of one /proc/net/{tcp,tcp6,udp,udp6} table (its first line is a header); `only` skips other inodes undecoded. */
export function parseProcNet(text: string, proto: Proto, only?: Set<number>): ProcSocket[] {
  const rows: ProcSocket[] = [];
  for (const line of text.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 10) continue;
    const inode = Number(f[9]);
    if (only && !only.has(inode)) continue;
    rows.push({ proto, local: decodeEndpoint(f[1]), remote: decodeEndpoint(f[2]), state: parseInt(f[3], 16), inode });
  }
  return rows;
}

/** 127.0.0.0/8 and ::1 (RFC 1122, RFC 4291), also as IPv4-mapped IPv6: traffic that never leaves the machine. */
export function isLoopback(address: string): boolean {
  const v4 = address.toLowerCase().replace(/^::ffff:/, '');
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(v4) || address === '::1';
}

/** A socket that accepts traffic: a TCP listener, or a UDP socket bound to a port and connected to no one. */
export function isListening(s: ProcSocket): boolean {
  return s.proto.startsWith('tcp') ? s.state === TCP_LISTEN : s.state === UDP_UNCONNECTED && s.local.port !== 0;
}

/** A socket with a peer: any TCP state but LISTEN and CLOSE (SYN_SENT counts — an attempt is traffic), a connected UDP socket. */
export function isConnection(s: ProcSocket): boolean {
  if (s.remote.port === 0) return false;
  return s.proto.startsWith('tcp') ? s.state !== TCP_LISTEN && s.state !== TCP_CLOSE : s.state !== UDP_UNCONNECTED;
}

function read(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return undefined; // the process is gone, or not ours to read
  }
}

/** The pid and every descendant of it that is alive now, root first. */
export function processTree(root: number): number[] {
  const tree: number[] = [];
  const queue = [root];
  const byParent = fs.existsSync(`/proc/${process.pid}/task/${process.pid}/children`) ? undefined : parentsOfAll();
  while (queue.length) {
    const pid = queue.shift()!;
    if (!fs.existsSync(`/proc/${pid}`)) continue;
    tree.push(pid);
    queue.push(...(byParent ? byParent.get(pid) ?? [] : childrenOf(pid)));
  }
  return tree;
}

/** A process's children, from each of its threads' `children` list (the cheap way: only the tree is read). */
function childrenOf(pid: number): number[] {
  let tasks: string[] = [];
  try {
    tasks = fs.readdirSync(`/proc/${pid}/task`);
  } catch {
    return [];
  }
  return tasks.flatMap((tid) => (read(`/proc/${pid}/task/${tid}/children`) ?? '').split(' ').filter(Boolean).map(Number));
}

/** Without CONFIG_PROC_CHILDREN: every process's parent, from /proc/<pid>/stat. */
function parentsOfAll(): Map<number, number[]> {
  const children = new Map<number, number[]>();
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const stat = read(`/proc/${name}/stat`);
    if (!stat) continue;
    // "pid (comm) state ppid …": comm may hold spaces and parentheses, so read after the last ')'.
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    children.set(ppid, [...(children.get(ppid) ?? []), Number(name)]);
  }
  return children;
}

function commandOf(pid: number): string {
  const argv = (read(`/proc/${pid}/cmdline`) ?? '').split('\0').filter(Boolean);
  // The sandbox runs its children as `node -e <bootstrap> -- <args>`; the bootstrap names the script.
  const script = argv.join(' ').match(/"([^"]+\.js)"/)?.[1];
  const text = (script ? [argv[0], script, ...argv.slice(argv.indexOf('--') + 1 || argv.length)] : argv).join(' ');
  return text.replace(/\s+/g, ' ').slice(0, 200);
}

function socketInodes(pid: number): Set<number> {
  const inodes = new Set<number>();
  let fds: string[] = [];
  try {
    fds = fs.readdirSync(`/proc/${pid}/fd`);
  } catch {
    return inodes;
  }
  for (const fd of fds) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(fs.readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m) inodes.add(Number(m[1]));
    } catch {
      // closed between readdir and readlink
    }
  }
  return inodes;
}

/** Every TCP/UDP socket the processes hold now, with its owner. */
export function socketsOf(pids: number[]): OwnedSocket[] {
  const owners = new Map<number, number>();
  // The tables list a whole network namespace; read each namespace's once (the kernel builds them on every read, slowly).
  const namespaces = new Map<string, number>();
  for (const pid of pids) {
    const inodes = socketInodes(pid);
    if (inodes.size === 0) continue;
    for (const inode of inodes) owners.set(inode, pid);
    let ns = `pid ${pid}`;
    try {
      ns = fs.readlinkSync(`/proc/${pid}/ns/net`);
    } catch {
      // not readable: treat the process as a namespace of its own
    }
    if (!namespaces.has(ns)) namespaces.set(ns, pid);
  }
  const inodes = new Set(owners.keys());
  const commands = new Map<number, string>();
  const owned: OwnedSocket[] = [];
  for (const pid of namespaces.values()) {
    for (const proto of PROTOS) {
      const table = read(`/proc/${pid}/net/${proto}`);
      if (!table) continue;
      for (const s of parseProcNet(table, proto, inodes)) {
        const owner = owners.get(s.inode)!;
        if (!commands.has(owner)) commands.set(owner, commandOf(owner));
        owned.push({ ...s, pid: owner, command: commands.get(owner)! });
      }
    }
  }
  return owned;
}

export function describeSocket(s: OwnedSocket): string {
  const at = (e: Endpoint) => (e.address.includes(':') ? `[${e.address}]:${e.port}` : `${e.address}:${e.port}`);
  const peer = isConnection(s) ? ` → ${at(s.remote)}` : '';
  return `pid ${s.pid} (${s.command}): ${s.proto} ${at(s.local)}${peer} state 0x${s.state.toString(16).padStart(2, '0')}`;
}

export interface ConnectionWatch {
  /** Every distinct connection of the tree seen so far (loopback or not). */
  seen(): OwnedSocket[];
  /** Stops sampling (after one last sample): what seen() says then, and how many samples were taken. */
  stop(): { seen: OwnedSocket[]; samples: number };
}

/**
 * Samples the tree's connections every `intervalMs` until stopped. A sample sees what is open at
 * that instant: a connection that opens and closes between two samples is missed, but keep-alive
 * connections stay open for seconds and an attempt to an unreachable host lingers in SYN_SENT.
 */
export function watchConnections(root: number, intervalMs = 250): ConnectionWatch {
  const seen = new Map<string, OwnedSocket>();
  let samples = 0;
  const sample = () => {
    samples++;
    for (const s of socketsOf(processTree(root))) if (isConnection(s)) seen.set(`${s.pid} ${s.proto} ${s.inode}`, s);
  };
  sample();
  // A failed sample inside the timer would be an uncaught exception in the test process: report it at stop().
  let failure: unknown;
  const timer = setInterval(() => {
    try {
      sample();
    } catch (err) {
      failure ??= err;
    }
  }, intervalMs);
  let stopped = false;
  return {
    seen: () => [...seen.values()],
    stop() {
      if (!stopped) {
        stopped = true;
        clearInterval(timer);
        sample();
      }
      if (failure) throw failure;
      return { seen: [...seen.values()], samples };
    },
  };
}
