import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseEnv } from 'node:util';
import zlib from 'node:zlib';
import AdmZip from 'adm-zip';
import { BOT_FRAMEWORK_OVERRIDE_KEYS, loadConfig } from '../../bot/config';
import { COMMANDS, type CommandSpec, parseCommand } from '../../bot/commands/parse';
import { HELP_COMMANDS } from '../../cards';
import { ACCENT_COLOR, drawColorIcon, drawOutlineIcon, iconProblems } from '../../tools/app-icons';
import {
  AppPackageError,
  MENU_LIMITS,
  buildAppPackage,
  commandMenu,
  loadEnvValues,
  parseArgs,
  runCli,
  schemaProblems,
  shippedManifestVersions,
  type TeamsManifest,
} from '../../tools/package-app';
import { decodePng, encodePng, pngSize, type RgbaImage } from '../../tools/png';

const ROOT = path.join(__dirname, '../..');
const APP_PACKAGE = path.join(ROOT, 'appPackage');
const TEMPLATE = JSON.parse(fs.readFileSync(path.join(APP_PACKAGE, 'manifest.json'), 'utf8')) as TeamsManifest;

const CLIENT_ID = '3f1c2b7a-9d4e-4c1b-8a2f-6e5d4c3b2a19';
const VALUES: Record<string, string> = {
  TEAMS_APP_ID: '8e0a6a52-2c3d-4b9e-9f1a-0c7d5e4b3a21',
  BOT_ID: '6b7c8d9e-0f1a-4b2c-9d3e-4f5a6b7c8d9e',
  AAD_APP_CLIENT_ID: CLIENT_ID,
  AAD_APP_ID_URI: `api://autopilot-bot.contoso.com/${CLIENT_ID}`,
  BOT_DOMAIN: 'autopilot-bot.contoso.com',
  DEVELOPER_NAME: 'Contoso IT',
  DEVELOPER_WEBSITE_URL: 'https://www.contoso.com/it',
  DEVELOPER_PRIVACY_URL: 'https://www.contoso.com/it/privacy',
  DEVELOPER_TERMS_OF_USE_URL: 'https://www.contoso.com/it/terms',
};

let tmp: string;
beforeEach(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'app-package-'));
});
afterEach(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

/** A copy of appPackage/ (template and icons) in the temp dir, its manifest template changed by `edit`. */
function copyAppPackage(edit?: (manifest: Record<string, any>) => void): string {
  const dir = path.join(tmp, 'appPackage');
  fs.mkdirSync(dir, { recursive: true });
  for (const f of ['manifest.json', 'color.png', 'outline.png']) fs.copyFileSync(path.join(APP_PACKAGE, f), path.join(dir, f));
  if (edit) {
    const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8'));
    edit(manifest);
    fs.writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify(manifest, null, 2));
  }
  return dir;
}

function problemsOf(build: () => unknown): string[] {
  try {
    build();
  } catch (err) {
    expect(err).toBeInstanceOf(AppPackageError);
    return (err as AppPackageError).problems;
  }
  throw new Error('expected an AppPackageError');
}

function build(values: Record<string, string | undefined>, appPackageDir = APP_PACKAGE) {
  return buildAppPackage({ appPackageDir, values, outFile: path.join(tmp, 'out', 'appPackage.test.zip') });
}

/**
 * A second opinion: Microsoft's own validator, AppManifestUtils.validateAgainstSchema from @microsoft/app-manifest
 * (draft-04 Ajv over the package's local schema copy). It needs require(esm), which plain Node 20.19+ has and jest's
 * module loader does not, so it runs in a child process.
 */
function microsoftValidator(manifest: unknown): string[] {
  const script =
    "const { AppManifestUtils } = require('@microsoft/app-manifest');" +
    "AppManifestUtils.validateAgainstSchema(JSON.parse(require('fs').readFileSync(0, 'utf8')))" +
    '.then((errors) => process.stdout.write(JSON.stringify(errors)));';
  const out = execFileSync(process.execPath, ['-e', script], { cwd: ROOT, input: JSON.stringify(manifest), encoding: 'utf8' });
  return JSON.parse(out) as string[];
}

function placeholders(node: unknown, found = new Set<string>()): Set<string> {
  if (typeof node === 'string') for (const m of node.matchAll(/\$\{\{(\w+)\}\}/g)) found.add(m[1]);
  else if (node && typeof node === 'object') for (const v of Object.values(node)) placeholders(v, found);
  return found;
}

describe('the manifest template', () => {
  it('is written for the newest manifest version that @microsoft/app-manifest ships', () => {
    const newest = shippedManifestVersions().at(-1)!;
    expect(newest).toBe('1.30'); // @microsoft/app-manifest 1.1.2; a newer package should prompt an upgrade here
    expect(TEMPLATE.manifestVersion).toBe(newest);
    expect(TEMPLATE.$schema).toBe(`https://developer.microsoft.com/json-schemas/teams/v${newest}/MicrosoftTeams.schema.json`);
  });

  it('takes every deployment-specific value from a ${{…}} placeholder', () => {
    expect([...placeholders(TEMPLATE)].sort()).toEqual(Object.keys(VALUES).sort());
    expect(TEMPLATE.id).toBe('${{TEAMS_APP_ID}}');
    expect(TEMPLATE.bots![0].botId).toBe('${{BOT_ID}}');
    expect(TEMPLATE.webApplicationInfo).toEqual({ id: '${{AAD_APP_CLIENT_ID}}', resource: '${{AAD_APP_ID_URI}}' });
    expect(TEMPLATE.validDomains).toEqual(['${{BOT_DOMAIN}}', 'token.botframework.com']);
  });

  it('offers the bot in personal, team and group chats, with the commands the bot understands', () => {
    const bot = TEMPLATE.bots![0] as Record<string, any>;
    expect([...bot.scopes].sort()).toEqual(['groupChat', 'personal', 'team']);
    expect(bot.supportsFiles).toBe(false);
    const titles = (scope: string): string[] =>
      bot.commandLists.find((l: { scopes: string[] }) => l.scopes.includes(scope)).commands.map((c: { title: string }) => c.title);
    const chat = ['set upload', 'list uploads', 'show upload', 'show imports', 'diag', 'help', 'sign out'];
    expect(titles('personal').sort()).toEqual([...chat].sort());
    expect(titles('groupChat').sort()).toEqual([...chat].sort());
    expect(titles('team').sort()).toEqual([...chat, 'subscribe', 'unsubscribe', 'subscriptions'].sort());
    // Every title is a command the help card documents, so the menu never offers something the parser rejects.
    for (const title of titles('team')) {
      expect(HELP_COMMANDS.some((h) => h.usage === title || h.usage.startsWith(`${title} `))).toBe(true);
    }
  });
});

describe('the command menu (commandLists) comes from the grammar table', () => {
  const bot = () => TEMPLATE.bots![0]!;

  it('the template carries exactly the generated lists', () => {
    // On a difference, paste the received lists into appPackage/manifest.json (the package is built with them anyway).
    expect(bot().commandLists).toEqual(commandMenu(bot().scopes));
  });

  it('the built package carries the generated lists, whatever the template says', () => {
    const dir = copyAppPackage((m) => {
      m.bots[0].commandLists = [{ scopes: ['personal'], commands: [{ title: 'dance', description: 'not a command' }] }];
    });
    const { manifest } = build(VALUES, dir);
    expect(manifest.bots![0]!.commandLists).toEqual(commandMenu(['personal', 'team', 'groupChat']));
  });

  it('lists each command with a menu description once, by its name, where it works, in the table order', () => {
    const lists = commandMenu();
    const menuOf = (scope: string) => lists.find((l) => l.scopes.includes(scope))!.commands;
    for (const scope of ['personal', 'groupChat', 'team'] as const) {
      const expected = [...new Set(COMMANDS.filter((c) => c.menu && (!c.scopes || c.scopes.includes(scope))).map((c) => c.name))];
      expect(menuOf(scope).map((c) => c.title)).toEqual(expected);
      for (const { title, description } of menuOf(scope)) {
        const entry = COMMANDS.find((c) => c.name === title)!;
        expect(description).toBe(entry.menu);
        // What the menu inserts starts the command's syntax, and the command's example parses.
        expect(`${entry.syntax} `.startsWith(`${title} `)).toBe(true);
        expect(parseCommand(entry.example).kind).toBe(entry.kind);
        expect(title.length).toBeLessThanOrEqual(MENU_LIMITS.title);
        expect(description!.length).toBeLessThanOrEqual(MENU_LIMITS.description);
      }
      expect(menuOf(scope).length).toBeLessThanOrEqual(MENU_LIMITS.commands);
    }
    // Team-only commands stay out of chats; chats share one list.
    expect(menuOf('personal').map((c) => c.title)).not.toContain('subscribe');
    expect(lists.map((l) => l.scopes)).toEqual([['personal', 'groupChat'], ['team']]);
    expect(commandMenu(['team']).map((l) => l.scopes)).toEqual([['team']]);
  });

  it('refuses a menu Teams would not show: more than 10 commands, a long title or description', () => {
    const entry = (name: string, menu = 'a command'): CommandSpec => ({ ...COMMANDS[0]!, name, menu });
    const eleven = Array.from({ length: 11 }, (_, i) => entry(`command ${i}`));
    expect(problemsOf(() => commandMenu(['personal'], eleven))).toEqual(['the personal command menu would hold 11 commands; Teams shows at most 10']);
    expect(commandMenu(['personal'], eleven.slice(1))[0]!.commands).toHaveLength(10);
    expect(problemsOf(() => commandMenu(['team'], [entry('x'.repeat(33))]))).toEqual([`the command menu title "${'x'.repeat(33)}" is longer than 32 characters`]);
    expect(problemsOf(() => commandMenu(['team'], [entry('long', 'y'.repeat(129))]))).toEqual(['the menu description of "long" is longer than 128 characters']);
    expect(commandMenu(['team'], [entry('x'.repeat(32), 'y'.repeat(128))])).toHaveLength(1);
  });
});

describe('buildAppPackage', () => {
  it('writes a zip holding the substituted, schema-valid manifest and the two icons at its root', () => {
    const { outFile } = build(VALUES);
    expect(outFile).toBe(path.join(tmp, 'out', 'appPackage.test.zip'));

    const zip = new AdmZip(outFile);
    expect(zip.getEntries().map((e) => e.entryName).sort()).toEqual(['color.png', 'manifest.json', 'outline.png']);
    expect(zip.readFile('color.png')).toEqual(fs.readFileSync(path.join(APP_PACKAGE, 'color.png')));
    expect(zip.readFile('outline.png')).toEqual(fs.readFileSync(path.join(APP_PACKAGE, 'outline.png')));

    const manifestText = zip.readAsText('manifest.json');
    expect(manifestText).not.toContain('${{');
    const manifest = JSON.parse(manifestText);
    expect(manifest.id).toBe(VALUES.TEAMS_APP_ID);
    expect(manifest.bots[0].botId).toBe(VALUES.BOT_ID);
    expect(manifest.webApplicationInfo).toEqual({ id: CLIENT_ID, resource: `api://autopilot-bot.contoso.com/${CLIENT_ID}` });
    expect(manifest.validDomains).toEqual(['autopilot-bot.contoso.com', 'token.botframework.com']);
    expect(manifest.developer).toEqual({
      name: 'Contoso IT',
      websiteUrl: 'https://www.contoso.com/it',
      privacyUrl: 'https://www.contoso.com/it/privacy',
      termsOfUseUrl: 'https://www.contoso.com/it/terms',
    });
    expect(manifest.accentColor).toBe(ACCENT_COLOR);

    expect(schemaProblems(manifest)).toEqual([]);
    expect(microsoftValidator(manifest)).toEqual([]);
  });

  it('names every placeholder that has no value, and writes nothing', () => {
    const { TEAMS_APP_ID, BOT_DOMAIN, ...rest } = VALUES;
    const problems = problemsOf(() => build({ ...rest, BOT_DOMAIN: '' }));
    expect(problems).toEqual([
      'no value for ${{TEAMS_APP_ID}} (used at /id): set TEAMS_APP_ID in the env file or the environment',
      'no value for ${{BOT_DOMAIN}} (used at /validDomains/0): set BOT_DOMAIN in the env file or the environment',
    ]);
    expect(fs.existsSync(path.join(tmp, 'out'))).toBe(false);
  });

  it("fails a schema-invalid manifest with the schema's own messages", () => {
    const dir = copyAppPackage((m) => {
      delete m.developer;
      m.accentColor = 'blue';
      m.bots[0].scopes.push('meetings');
    });
    const problems = problemsOf(() => build({ ...VALUES, BOT_ID: 'bot-1' }, dir));
    expect(problems).toEqual(
      expect.arrayContaining([
        "(root) must have required property 'developer'",
        '/accentColor must match pattern "^#[0-9a-fA-F]{6}$"',
        '/bots/0/botId must match pattern "^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$"',
        '/bots/0/scopes/3 must be equal to one of the allowed values ("team", "personal", "groupChat", "copilot")',
      ]),
    );
    expect(fs.existsSync(path.join(tmp, 'out'))).toBe(false);
  });

  it('refuses a manifest whose $schema and manifestVersion disagree, or whose version has no schema', () => {
    const older = copyAppPackage((m) => {
      m.manifestVersion = '1.29';
    });
    expect(problemsOf(() => build(VALUES, older))).toContain('/$schema names version 1.30 but manifestVersion is 1.29');
    fs.rmSync(older, { recursive: true });
    const unknown = copyAppPackage((m) => {
      m.manifestVersion = '9.99';
    });
    expect(problemsOf(() => build(VALUES, unknown))).toEqual([
      expect.stringMatching(/^\/manifestVersion "9\.99" has no schema in @microsoft\/app-manifest/),
    ]);
  });

  it('checks the single sign-on resource and the domains, which the schema leaves free', () => {
    const notApi = problemsOf(() => build({ ...VALUES, AAD_APP_ID_URI: `https://autopilot-bot.contoso.com/${CLIENT_ID}` }));
    expect(notApi).toEqual([`/webApplicationInfo/resource "https://autopilot-bot.contoso.com/${CLIENT_ID}" must start with api://`]);

    const otherApp = problemsOf(() => build({ ...VALUES, AAD_APP_ID_URI: 'api://autopilot-bot.contoso.com/5c3a9e71-8f2d-4b6a-9e1c-7d0f4a2b8c3e' }));
    expect(otherApp).toEqual([
      `/webApplicationInfo/resource "api://autopilot-bot.contoso.com/5c3a9e71-8f2d-4b6a-9e1c-7d0f4a2b8c3e" must end with the app's client id ${CLIENT_ID} (webApplicationInfo.id)`,
    ]);

    const otherDomain = problemsOf(() => build({ ...VALUES, AAD_APP_ID_URI: `api://elsewhere.contoso.com/${CLIENT_ID}` }));
    expect(otherDomain).toEqual(['/webApplicationInfo/resource names the domain "elsewhere.contoso.com", which is not in /validDomains']);

    const url = problemsOf(() => build({ ...VALUES, BOT_DOMAIN: 'https://autopilot-bot.contoso.com/' }));
    expect(url).toEqual(
      expect.arrayContaining([
        '/validDomains/0 "https://autopilot-bot.contoso.com/" is not a domain name (no scheme, path or spaces: e.g. bot.contoso.com)',
      ]),
    );
  });

  it('accepts the standalone-bot form of the resource, api://botid-<client id>', () => {
    expect(() => build({ ...VALUES, AAD_APP_ID_URI: `api://botid-${CLIENT_ID}` })).not.toThrow();
  });

  it('inserts values as text (quotes stay quotes) and names a malformed placeholder', () => {
    const { manifest } = build({ ...VALUES, DEVELOPER_NAME: 'Contoso "IT" \\ Ops' });
    expect((manifest.developer as { name: string }).name).toBe('Contoso "IT" \\ Ops');

    const dir = copyAppPackage((m) => {
      m.name.full = 'Autopilot Uploads ${{APP-SUFFIX}}';
    });
    expect(problemsOf(() => build(VALUES, dir))).toEqual(['malformed placeholder in "Autopilot Uploads ${{APP-SUFFIX}}" at /name/full: write ${{NAME}}']);
  });

  it('refuses a placeholder that would put a secret into the package', () => {
    const dir = copyAppPackage((m) => {
      m.description.full = 'Secret: ${{AAD_APP_CLIENT_SECRET}}';
    });
    expect(problemsOf(() => build({ ...VALUES, AAD_APP_CLIENT_SECRET: 'shh' }, dir))).toEqual([
      '${{AAD_APP_CLIENT_SECRET}} at /description/full would publish a secret: every user who can install the app can read its manifest',
    ]);
  });

  it('checks the icon files: their size, the outline colours, and that they exist', () => {
    const dir = copyAppPackage((m) => {
      m.icons.color = 'missing.png';
    });
    const outline = drawOutlineIcon();
    outline.rgba.set([15, 108, 189, 255], (10 * 32 + 5) * 4); // one opaque blue pixel at (5, 10)
    fs.writeFileSync(path.join(dir, 'outline.png'), encodePng(outline));
    expect(problemsOf(() => build(VALUES, dir))).toEqual([
      `/icons/color: missing.png does not exist in ${dir}`,
      'outline.png (outline icon) must be white on a transparent background; 1 pixel(s) are neither white nor fully transparent, e.g. (5, 10) is rgba(15, 108, 189, 255)',
    ]);

    const small = copyAppPackage();
    fs.writeFileSync(path.join(small, 'color.png'), encodePng(drawOutlineIcon()));
    expect(problemsOf(() => build(VALUES, small))).toEqual(['color.png (color icon) is 32×32; Teams requires 192×192']);
  });
});

describe('the icons in appPackage/', () => {
  const color = fs.readFileSync(path.join(APP_PACKAGE, 'color.png'));
  const outline = fs.readFileSync(path.join(APP_PACKAGE, 'outline.png'));

  it('color.png is a 192×192 full-colour PNG', () => {
    expect(pngSize(color)).toEqual({ width: 192, height: 192 });
    const image = decodePng(color);
    const colours = new Set<string>();
    for (let i = 0; i < image.rgba.length; i += 4) colours.add(image.rgba.slice(i, i + 3).join(','));
    expect(colours.size).toBeGreaterThan(2);
    expect(colours).toContain('15,108,189'); // the accent colour background
    expect(iconProblems('color', 'color.png', color)).toEqual([]);
  });

  it('outline.png is 32×32, every pixel white or fully transparent, on a transparent background', () => {
    expect(pngSize(outline)).toEqual({ width: 32, height: 32 });
    const { rgba } = decodePng(outline);
    let white = 0;
    let transparent = 0;
    for (let i = 0; i < rgba.length; i += 4) {
      if (rgba[i + 3] === 0) transparent++;
      else if (rgba[i] === 255 && rgba[i + 1] === 255 && rgba[i + 2] === 255) white++;
      else throw new Error(`pixel ${i / 4} is rgba(${rgba.slice(i, i + 4).join(', ')})`);
    }
    expect(white).toBeGreaterThan(50);
    expect(transparent).toBeGreaterThan(500);
    for (const corner of [0, 31, 32 * 31, 32 * 32 - 1]) expect(rgba[corner * 4 + 3]).toBe(0);
    expect(iconProblems('outline', 'outline.png', outline)).toEqual([]);
  });

  it('are what sandbox/app-icons.ts draws (regenerate with `node dist/sandbox/app-icons.js`)', () => {
    expect(decodePng(color)).toEqual(drawColorIcon());
    expect(decodePng(outline)).toEqual(drawOutlineIcon());
  });
});

describe('iconProblems', () => {
  const solid = (size: number, rgba: number[]): RgbaImage => {
    const data = new Uint8Array(size * size * 4);
    for (let i = 0; i < data.length; i += 4) data.set(rgba, i);
    return { width: size, height: size, rgba: data };
  };

  it('refuses an outline icon without a transparent background, or with nothing visible', () => {
    expect(iconProblems('outline', 'o.png', encodePng(solid(32, [255, 255, 255, 255])))).toEqual([
      'o.png (outline icon) has no transparent pixels: its background must be transparent',
    ]);
    expect(iconProblems('outline', 'o.png', encodePng(solid(32, [255, 255, 255, 0])))).toEqual([
      'o.png (outline icon) is fully transparent: it shows nothing',
    ]);
  });

  it('accepts anti-aliased white edges (white at partial opacity)', () => {
    const image = solid(32, [0, 0, 0, 0]);
    image.rgba.set([255, 255, 255, 128], 0);
    expect(iconProblems('outline', 'o.png', encodePng(image))).toEqual([]);
  });

  it('refuses a file that is not a PNG', () => {
    expect(iconProblems('color', 'c.png', Buffer.from('GIF89a'))).toEqual(['c.png (color icon) is not a usable PNG: not a PNG file (bad signature)']);
  });
});

describe('the PNG codec', () => {
  const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  // Built with node's own zlib.crc32, independently of sandbox/png.ts.
  const chunk = (type: string, data: Buffer): Buffer => {
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const out = Buffer.alloc(body.length + 8);
    out.writeUInt32BE(data.length, 0);
    body.copy(out, 4);
    out.writeUInt32BE(zlib.crc32(body), body.length + 4);
    return out;
  };
  const png = (width: number, height: number, bitDepth: number, colourType: number, rows: Buffer, extra: Buffer[] = []): Buffer => {
    const ihdr = Buffer.alloc(13);
    ihdr.writeUInt32BE(width, 0);
    ihdr.writeUInt32BE(height, 4);
    ihdr[8] = bitDepth;
    ihdr[9] = colourType;
    return Buffer.concat([SIGNATURE, chunk('IHDR', ihdr), ...extra, chunk('IDAT', zlib.deflateSync(rows)), chunk('IEND', Buffer.alloc(0))]);
  };

  it('round-trips RGBA', () => {
    const image: RgbaImage = { width: 3, height: 2, rgba: Uint8Array.from({ length: 24 }, (_, i) => (i * 37) % 256) };
    expect(decodePng(encodePng(image))).toEqual(image);
  });

  it('undoes all five row filters', () => {
    const width = 4;
    const bpp = 3; // RGB, 8-bit
    const raw = Array.from({ length: 5 }, (_, y) => Buffer.from(Array.from({ length: width * bpp }, (_, i) => (y * 71 + i * 29 + i * i) % 256)));
    const paeth = (a: number, b: number, c: number): number => {
      const p = a + b - c;
      const [pa, pb, pc] = [Math.abs(p - a), Math.abs(p - b), Math.abs(p - c)];
      return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
    };
    const filtered = raw.map((row, y) => {
      const type = [0, 1, 2, 3, 4][y];
      const up = y > 0 ? raw[y - 1] : Buffer.alloc(row.length);
      const out = Buffer.alloc(row.length + 1);
      out[0] = type;
      for (let i = 0; i < row.length; i++) {
        const left = i >= bpp ? row[i - bpp] : 0;
        const upLeft = i >= bpp ? up[i - bpp] : 0;
        const predictor = [0, left, up[i], (left + up[i]) >> 1, paeth(left, up[i], upLeft)][type];
        out[i + 1] = (row[i] - predictor) & 0xff;
      }
      return out;
    });
    const decoded = decodePng(png(width, 5, 8, 2, Buffer.concat(filtered)));
    const expected = new Uint8Array(width * 5 * 4);
    raw.forEach((row, y) => {
      for (let x = 0; x < width; x++) expected.set([row[x * 3], row[x * 3 + 1], row[x * 3 + 2], 255], (y * width + x) * 4);
    });
    expect(decoded.rgba).toEqual(expected);
  });

  it('reads 2-bit palette images with tRNS transparency', () => {
    const palette = Buffer.from([255, 0, 0, 0, 255, 0, 0, 0, 255, 255, 255, 255]);
    const trns = Buffer.from([255, 128, 0]); // entry 3 has no alpha: opaque
    const rows = Buffer.from([0, 0b00_01_10_11]);
    const decoded = decodePng(png(4, 1, 2, 3, rows, [chunk('PLTE', palette), chunk('tRNS', trns)]));
    expect([...decoded.rgba]).toEqual([255, 0, 0, 255, 0, 255, 0, 128, 0, 0, 255, 0, 255, 255, 255, 255]);
  });

  it('reads 16-bit grey with a transparent grey level', () => {
    const rows = Buffer.from([0, 0xff, 0xff, 0x12, 0x34]);
    const decoded = decodePng(png(2, 1, 16, 0, rows, [chunk('tRNS', Buffer.from([0x12, 0x34]))]));
    expect([...decoded.rgba]).toEqual([255, 255, 255, 255, 0x12, 0x12, 0x12, 0]);
  });

  it('refuses corrupt files', () => {
    const good = encodePng({ width: 1, height: 1, rgba: new Uint8Array([1, 2, 3, 4]) });
    const corrupt = Buffer.from(good);
    corrupt[20] ^= 0xff; // inside IHDR's data
    expect(() => decodePng(corrupt)).toThrow('IHDR chunk has a bad CRC (the file is corrupt)');
    expect(() => decodePng(good.subarray(0, good.length - 12))).toThrow('no IEND chunk (the file is truncated)');
  });
});

describe('loadEnvValues', () => {
  it('layers env/.env.<name>, then env/.env.<name>.user, then the process environment; empty values never override', () => {
    fs.writeFileSync(path.join(tmp, '.env.dev'), 'A=from-file\nB=from-file\nC=from-file\nD=from-file\n# E=commented\n');
    fs.writeFileSync(path.join(tmp, '.env.dev.user'), 'B=from-user\nC=from-user\nD=\n');
    const { values, files } = loadEnvValues({ envDir: tmp, envName: 'dev', processEnv: { C: 'from-process', D: '', E: undefined } });
    expect(values).toEqual({ A: 'from-file', B: 'from-user', C: 'from-process', D: 'from-file' });
    expect(files).toEqual([path.join(tmp, '.env.dev'), path.join(tmp, '.env.dev.user')]);
  });

  it('names the missing env file, and refuses names that are not names', () => {
    expect(problemsOf(() => loadEnvValues({ envDir: tmp, envName: 'prod' }))).toEqual([
      `${path.join(tmp, '.env.prod')} does not exist: create it (env/.env.dev.sample lists and explains every variable)`,
    ]);
    expect(problemsOf(() => loadEnvValues({ envDir: tmp, envName: '../secrets' }))[0]).toMatch(/^"\.\.\/secrets" is not an environment name/);
  });
});

describe('the command line', () => {
  it('parses --env and --out', () => {
    expect(parseArgs([])).toEqual({ envName: 'local' });
    expect(parseArgs(['--env', 'dev'])).toEqual({ envName: 'dev' });
    expect(parseArgs(['--env=dev', '--out', 'x.zip'])).toEqual({ envName: 'dev', outFile: 'x.zip' });
    expect(problemsOf(() => parseArgs(['--env']))).toEqual(['--env needs a value']);
    expect(problemsOf(() => parseArgs(['dev']))[0]).toMatch(/^unknown argument "dev"/);
  });

  function cli(argv: string[], env: Record<string, string | undefined> = {}) {
    const out: string[] = [];
    const err: string[] = [];
    const code = runCli(argv, { root: tmp, env, cwd: tmp, log: (l) => out.push(l), error: (l) => err.push(l) });
    return { code, out: out.join('\n'), err: err.join('\n') };
  }

  it('writes appPackage/build/appPackage.<env>.zip from the env file and the environment, exit code 0', () => {
    copyAppPackage();
    fs.mkdirSync(path.join(tmp, 'env'));
    const { BOT_DOMAIN, ...fileValues } = VALUES;
    fs.writeFileSync(path.join(tmp, 'env', '.env.test'), Object.entries(fileValues).map(([k, v]) => `${k}=${v}`).join('\n'));
    const result = cli(['--env', 'test'], { BOT_DOMAIN });
    expect(result).toEqual({
      code: 0,
      out: `Wrote appPackage/build/appPackage.test.zip (manifest 1.30, Teams app ${VALUES.TEAMS_APP_ID}, bot ${VALUES.BOT_ID}) from env/.env.test and the environment`,
      err: '',
    });
    const manifest = JSON.parse(new AdmZip(path.join(tmp, 'appPackage/build/appPackage.test.zip')).readAsText('manifest.json'));
    expect(manifest.validDomains[0]).toBe(BOT_DOMAIN);
  });

  it('exits 1 naming every problem and where the values came from', () => {
    copyAppPackage();
    fs.mkdirSync(path.join(tmp, 'env'));
    fs.writeFileSync(path.join(tmp, 'env', '.env.test'), Object.entries(VALUES).filter(([k]) => k !== 'BOT_ID').map(([k, v]) => `${k}=${v}`).join('\n'));
    const result = cli(['--env=test']);
    expect(result.code).toBe(1);
    expect(result.out).toBe('');
    expect(result.err).toBe(
      'The Teams app package was not built:\n' +
        '  - no value for ${{BOT_ID}} (used at /bots/0/botId): set BOT_ID in the env file or the environment\n' +
        '(values were read from env/.env.test and the environment)',
    );
    expect(fs.existsSync(path.join(tmp, 'appPackage/build'))).toBe(false);
  });
});

describe('env files', () => {
  const sampleText = fs.readFileSync(path.join(ROOT, 'env/.env.dev.sample'), 'utf8');
  const sample = parseEnv(sampleText) as Record<string, string>;
  const SECRETS = ['BOT_PASSWORD', 'AAD_APP_CLIENT_SECRET', 'AZURE_STORAGE_CONNECTION_STRING', 'NOTIFY_API_KEY', 'NOTIFY_API_KEYS'];
  const CONFIGURATION = [
    'PORT', 'LOG_LEVEL', 'BOT_ID', 'BOT_PASSWORD', 'BOT_TYPE', 'BOT_TENANT_ID', ...BOT_FRAMEWORK_OVERRIDE_KEYS, 'ValidateAuthority',
    'AAD_APP_CLIENT_ID', 'AAD_APP_CLIENT_SECRET', 'AAD_APP_TENANT_ID', 'AAD_APP_OAUTH_AUTHORITY_HOST', 'AAD_APP_ID_URI',
    'ALLOWED_TENANTS', 'GRAPH_BASE_URL', 'GRAPH_API_VERSION', 'AZURE_STORAGE_CONNECTION_STRING', 'STATE_CONTAINER', 'NOTIFY_API_KEY',
    'HOST', 'ALLOW_ANONYMOUS', 'SSO_CLIENT_APP_IDS', 'NOTIFY_API_KEYS', 'NOTIFY_RATE_LIMIT_PER_MINUTE', 'STATE_RETENTION_DAYS', 'SHUTDOWN_DEADLINE_SECONDS',
    'PUBLIC_URL',
  ];

  it('env/.env.dev.sample names every configuration and packaging variable, explained, with secrets only in comments', () => {
    const lines = sampleText.split('\n');
    const mentioned = (name: string): boolean => new RegExp(`^#?\\s*${name}=`, 'm').test(sampleText);
    expect([...CONFIGURATION, ...Object.keys(VALUES)].filter((n) => !mentioned(n))).toEqual([]);
    const unexplained = lines.filter((l, i) => /^\w+=/.test(l) && !lines[i - 1].startsWith('#'));
    expect(unexplained).toEqual([]);
    expect(SECRETS.filter((s) => s in sample)).toEqual([]);
    expect(sampleText).toMatch(/env\/\.env\.dev\.user, which git ignores/);
    expect(fs.readFileSync(path.join(ROOT, '.gitignore'), 'utf8')).toMatch(/^env\/\.env\.\*\.user$/m);
  });

  it('env/.env.dev.sample, once filled in, packages and is a valid bot configuration', () => {
    const tenant = '2b8f3c9e-5d41-4f0a-9c3e-6a7d1e2f4b10';
    const filled: Record<string, string> = {
      ...sample,
      TEAMS_APP_ID: VALUES.TEAMS_APP_ID,
      BOT_DOMAIN: VALUES.BOT_DOMAIN,
      BOT_ID: VALUES.BOT_ID,
      BOT_TENANT_ID: tenant,
      AAD_APP_CLIENT_ID: CLIENT_ID,
      AAD_APP_TENANT_ID: tenant,
      AAD_APP_ID_URI: VALUES.AAD_APP_ID_URI,
    };
    fs.writeFileSync(path.join(tmp, '.env.dev'), Object.entries(filled).map(([k, v]) => `${k}=${v}`).join('\n'));
    fs.writeFileSync(path.join(tmp, '.env.dev.user'), 'BOT_PASSWORD=p\nAAD_APP_CLIENT_SECRET=s\n');
    const { values } = loadEnvValues({ envDir: tmp, envName: 'dev' });
    const { manifest } = build(values);
    expect(manifest.developer).toEqual({
      name: sample.DEVELOPER_NAME,
      websiteUrl: sample.DEVELOPER_WEBSITE_URL,
      privacyUrl: sample.DEVELOPER_PRIVACY_URL,
      termsOfUseUrl: sample.DEVELOPER_TERMS_OF_USE_URL,
    });
    const config = loadConfig(values);
    expect(config.bot).toMatchObject({ id: VALUES.BOT_ID, type: 'SingleTenant', tenantId: tenant });
    expect(config.sso.appIdUri).toBe(VALUES.AAD_APP_ID_URI);
  });

  it('`npm run package` packages env/.env.local as it is: the sandbox app, valid against the schema', () => {
    const out = path.join(tmp, 'appPackage.local.zip');
    const lines: string[] = [];
    const errors: string[] = [];
    const code = runCli(['--out', out], { root: ROOT, env: {}, cwd: ROOT, log: (l) => lines.push(l), error: (l) => errors.push(l) });
    expect(errors).toEqual([]);
    expect(code).toBe(0);
    const local = parseEnv(fs.readFileSync(path.join(ROOT, 'env/.env.local'), 'utf8')) as Record<string, string>;
    const manifest = JSON.parse(new AdmZip(out).readAsText('manifest.json'));
    expect(manifest.id).toBe(local.TEAMS_APP_ID);
    expect(manifest.bots[0].botId).toBe(local.BOT_ID);
    expect(manifest.webApplicationInfo).toEqual({ id: local.AAD_APP_CLIENT_ID, resource: local.AAD_APP_ID_URI });
    expect(manifest.validDomains).toContain(local.BOT_DOMAIN);
  });
});
