/**
 * `npm run package [-- --env <name>] [--out <file>]`: the Teams app package (manifest.json + the two icons, zipped)
 * for one environment, checked offline before anything is written.
 *
 *   1. values: `env/.env.<name>`, then the git-ignored `env/.env.<name>.user` (secrets), then the process
 *      environment; a later source overrides an earlier one only with a non-empty value (the precedence of
 *      `node --env-file=… --env-file=…`, which starts the bot from the same files).
 *   2. `${{NAME}}` placeholders in appPackage/manifest.json (Teams Toolkit's convention) are replaced in string
 *      values; a placeholder without a value is an error that names it.
 *   3. the bot's command menu (`commandLists`) is generated from the grammar's table (bot/commands/grammar.ts),
 *      so the menu offers exactly what the parser understands; the template carries the same lists for readers
 *      (a unit test keeps them equal).
 *   4. the result is validated against the official JSON schema for its `manifestVersion`, as shipped by
 *      `@microsoft/app-manifest` (no network), then for what the schema cannot see: the icon files, the bot id,
 *      the SSO resource, the domains, the command lists.
 *   5. appPackage/build/appPackage.<name>.zip: manifest.json and the icons at the zip root.
 *
 * Every problem found is reported at once; the exit code is 1 when there is any.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseEnv } from 'node:util';
import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import AdmZip from 'adm-zip';
import { COMMANDS, SCOPES, type CommandSpec, type Scope } from '../bot/commands/grammar';
import { GUID } from '../bot/guid';
import { iconProblems, type IconKind } from './app-icons';

export class AppPackageError extends Error {
  constructor(readonly problems: string[]) {
    super(`The Teams app package was not built:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'AppPackageError';
  }
}

/** The parts of a Teams manifest this module reads; everything else is the schema's business. */
export interface TeamsManifest {
  $schema?: string;
  manifestVersion: string;
  id: string;
  icons: Record<IconKind, string>;
  bots?: Array<{
    botId: string;
    scopes?: string[];
    commandLists?: CommandList[];
  }>;
  validDomains?: string[];
  webApplicationInfo?: { id: string; resource?: string };
  [key: string]: unknown;
}

// --- 1. values ---------------------------------------------------------------------------------------------------

export interface EnvSources {
  /** The folder holding `.env.<name>` files. */
  envDir: string;
  envName: string;
  /** Overrides the files (the CLI passes process.env). */
  processEnv?: Record<string, string | undefined>;
}

/** The merged values and the files they came from (the `.user` file only when it exists). */
export function loadEnvValues({ envDir, envName, processEnv = {} }: EnvSources): { values: Record<string, string>; files: string[] } {
  if (!/^[A-Za-z0-9][A-Za-z0-9_-]*$/.test(envName)) {
    throw new AppPackageError([`"${envName}" is not an environment name (letters, digits, - and _; e.g. local, dev)`]);
  }
  const main = path.join(envDir, `.env.${envName}`);
  const user = `${main}.user`;
  if (!fs.existsSync(main)) {
    throw new AppPackageError([`${main} does not exist: create it (env/.env.dev.sample lists and explains every variable)`]);
  }
  const files = fs.existsSync(user) ? [main, user] : [main];
  const values: Record<string, string> = {};
  const layers = [...files.map((f) => parseEnv(fs.readFileSync(f, 'utf8'))), processEnv];
  for (const layer of layers) {
    for (const [name, value] of Object.entries(layer)) {
      if (value !== undefined && value.trim() !== '') values[name] = value.trim();
    }
  }
  return { values, files };
}

// --- 2. placeholders ---------------------------------------------------------------------------------------------

const PLACEHOLDER = /\$\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g;

/**
 * Names that hold secrets (`SECRET_*` is Teams Toolkit's marker; the rest are this bot's). Every Teams user who can
 * install the app can download its package, so a secret placed in the manifest would be published.
 */
const SECRET_NAME = /^SECRET_|SECRET$|PASSWORD$|API_KEY$|CONNECTION_STRING$/i;

/** A copy of `template` with `${{NAME}}` replaced in every string value; throws naming each name without a value. */
export function substitutePlaceholders<T>(template: T, values: Record<string, string | undefined>): T {
  const problems: string[] = [];
  const walk = (node: unknown, pointer: string): unknown => {
    if (typeof node === 'string') {
      const replaced = node.replace(PLACEHOLDER, (whole, name: string) => {
        if (SECRET_NAME.test(name)) {
          problems.push(`${whole} at ${pointer} would publish a secret: every user who can install the app can read its manifest`);
          return whole;
        }
        const value = values[name];
        if (value === undefined || value === '') {
          problems.push(`no value for ${whole} (used at ${pointer}): set ${name} in the env file or the environment`);
          return whole;
        }
        return value;
      });
      if (node.replace(PLACEHOLDER, '').includes('${{')) problems.push(`malformed placeholder in "${node}" at ${pointer}: write \${{NAME}}`);
      return replaced;
    }
    if (Array.isArray(node)) return node.map((item, i) => walk(item, `${pointer}/${i}`));
    if (node && typeof node === 'object') {
      return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, walk(v, `${pointer}/${k.replace(/~/g, '~0').replace(/\//g, '~1')}`)]));
    }
    return node;
  };
  const result = walk(template, '') as T;
  if (problems.length) throw new AppPackageError(problems);
  return result;
}

// --- 3. the command menu ------------------------------------------------------------------------------------------

export interface CommandList {
  scopes: string[];
  commands: Array<{ title: string; description?: string }>;
}

/**
 * The limits every manifest version and client honours: Teams documents up to 10 commands per menu, and manifests
 * up to v1.20 cap a title at 32 characters and a description at 128 (v1.30's schema allows 12, 128 and 4000).
 */
export const MENU_LIMITS = { commands: 10, title: 32, description: 128 } as const;

/**
 * The bot's command menu from the grammar's table: per scope, the commands that have a menu description and work
 * there, in the table's order, one per title; scopes with the same commands share one list (the schema allows one
 * list per scope and three lists in all). Throws when a list would break MENU_LIMITS.
 */
export function commandMenu(botScopes: readonly string[] = SCOPES, commands: readonly CommandSpec[] = COMMANDS): CommandList[] {
  const lists: CommandList[] = [];
  const problems: string[] = [];
  for (const scope of SCOPES.filter((s) => botScopes.includes(s))) {
    const entries = commands.filter((c) => c.menu !== undefined && (c.scopes ?? SCOPES).includes(scope as Scope));
    const menu = [...new Map(entries.map((c) => [c.name, { title: c.name, description: c.menu! }])).values()];
    if (menu.length > MENU_LIMITS.commands) problems.push(`the ${scope} command menu would hold ${menu.length} commands; Teams shows at most ${MENU_LIMITS.commands}`);
    for (const { title, description } of menu) {
      if (title.length > MENU_LIMITS.title) problems.push(`the command menu title "${title}" is longer than ${MENU_LIMITS.title} characters`);
      if (description.length > MENU_LIMITS.description) problems.push(`the menu description of "${title}" is longer than ${MENU_LIMITS.description} characters`);
    }
    const same = lists.find((l) => JSON.stringify(l.commands) === JSON.stringify(menu));
    if (same) same.scopes.push(scope);
    else if (menu.length > 0) lists.push({ scopes: [scope], commands: menu });
  }
  if (problems.length) throw new AppPackageError([...new Set(problems)]);
  return lists;
}

/** The manifest with its bot's command menu generated from the grammar (the template's lists are replaced). */
export function withCommandMenu(manifest: TeamsManifest): TeamsManifest {
  if (!Array.isArray(manifest.bots)) return manifest; // the schema reports it
  const bots = manifest.bots.map((bot) => {
    if (!bot || typeof bot !== 'object' || Array.isArray(bot)) return bot;
    const { commandLists: _template, ...rest } = bot;
    const lists = commandMenu(Array.isArray(bot.scopes) ? bot.scopes : []);
    return lists.length > 0 ? { ...rest, commandLists: lists } : rest;
  });
  return { ...manifest, bots };
}

// --- 4a. the official schema -------------------------------------------------------------------------------------

/** Where `@microsoft/app-manifest` keeps the Teams schemas, one folder per version (`v1.30/…`). */
export function teamsSchemaDir(): string {
  return path.join(path.dirname(require.resolve('@microsoft/app-manifest/package.json')), 'build', 'json-schemas', 'teams');
}

/** The numbered manifest versions shipped there, oldest first (the developer preview is left out). */
export function shippedManifestVersions(): string[] {
  return fs
    .readdirSync(teamsSchemaDir())
    .filter((d) => /^v\d+\.\d+$/.test(d))
    .map((d) => d.slice(1))
    .sort((a, b) => {
      const [am, an] = a.split('.').map(Number);
      const [bm, bn] = b.split('.').map(Number);
      return am - bm || an - bn;
    });
}

const validators = new Map<string, ValidateFunction>();

function validatorFor(version: string): ValidateFunction {
  const cached = validators.get(version);
  if (cached) return cached;
  const file = path.join(teamsSchemaDir(), `v${version}`, 'MicrosoftTeams.schema.json');
  // Some older schemas carry the regex escape `\a`, which JavaScript rejects; @microsoft/app-manifest rewrites it
  // the same way before compiling (OfficeDev/microsoft-teams-app-schema issue 190).
  const schema = JSON.parse(fs.readFileSync(file, 'utf8').replace(/\\a/g, '\\u0007')) as Record<string, unknown>;
  // The schema declares draft-04 but uses draft-06/07 keywords (`const` for manifestVersion, `if`/`then`) and none
  // of draft-04's own (boolean exclusiveMinimum, `id`), so Ajv's default draft-07 vocabulary reads it as its
  // authors meant. Ajv 8 has no draft-04 meta-schema, hence `$schema` is dropped. strictTypes is off, as in
  // @microsoft/app-manifest, because the schema puts e.g. additionalProperties next to a `$ref` without `type`.
  delete schema.$schema;
  const ajv = new Ajv({ allErrors: true, strictTypes: false });
  addFormats(ajv);
  const validate = ajv.compile(schema);
  validators.set(version, validate);
  return validate;
}

function describeSchemaError(e: ErrorObject): string {
  const where = e.instancePath || '(root)';
  const p = e.params as Record<string, unknown>;
  let detail = '';
  if (typeof p.additionalProperty === 'string') detail = ` (${p.additionalProperty})`;
  else if (Array.isArray(p.allowedValues)) detail = ` (${p.allowedValues.map((v) => JSON.stringify(v)).join(', ')})`;
  else if (e.keyword === 'const') detail = ` (${JSON.stringify(p.allowedValue)})`;
  return `${where} ${e.message ?? e.keyword}${detail}`;
}

/** The schema's own complaints (`<instancePath> <message>`), for the schema of the manifest's own version. */
export function schemaProblems(manifest: unknown): string[] {
  const m = manifest as Partial<TeamsManifest> | null;
  if (!m || typeof m !== 'object' || Array.isArray(m)) return ['the manifest is not a JSON object'];
  const version = m.manifestVersion;
  if (typeof version !== 'string' || version === '') return ['(root) must have required property \'manifestVersion\''];
  const shipped = shippedManifestVersions();
  if (!shipped.includes(version)) {
    return [`/manifestVersion "${version}" has no schema in @microsoft/app-manifest (it ships ${shipped[0]} to ${shipped[shipped.length - 1]})`];
  }
  const problems: string[] = [];
  if (m.$schema !== undefined) {
    const declared = /\/teams\/v([^/]+)\/MicrosoftTeams\.schema\.json$/.exec(String(m.$schema))?.[1];
    if (declared !== version) problems.push(`/$schema names ${declared ? `version ${declared}` : 'no Teams schema'} but manifestVersion is ${version}`);
  }
  const validate = validatorFor(version);
  if (!validate(m)) problems.push(...(validate.errors ?? []).map(describeSchemaError));
  return problems;
}

// --- 4b. what the schema cannot see ------------------------------------------------------------------------------

/** A host name (optionally `*.` and a port), not a URL: what validDomains and the app ID URI hold. */
const DOMAIN = /^(\*\.)?[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*(:\d{1,5})?$/i;

function domainListed(host: string, validDomains: string[]): boolean {
  const h = host.toLowerCase();
  return validDomains.some((d) => {
    const entry = d.toLowerCase();
    return entry === h || (entry.startsWith('*.') && h.endsWith(entry.slice(1)));
  });
}

/** Rules on a schema-valid manifest: the bot, single sign-on, the domains, the command lists. */
export function manifestProblems(manifest: TeamsManifest): string[] {
  const problems: string[] = [];
  const bots = manifest.bots ?? [];
  if (bots.length !== 1) problems.push(`/bots must hold exactly one bot (found ${bots.length})`);
  const bot = bots[0];
  const validDomains = manifest.validDomains ?? [];

  for (const [i, d] of validDomains.entries()) {
    if (!DOMAIN.test(d)) problems.push(`/validDomains/${i} "${d}" is not a domain name (no scheme, path or spaces: e.g. bot.contoso.com)`);
  }

  if (bot) {
    if (!GUID.test(bot.botId)) problems.push(`/bots/0/botId "${bot.botId}" is not a GUID (the Azure Bot's Microsoft App ID)`);
    const botScopes = new Set(bot.scopes ?? []);
    const seen = new Set<string>();
    for (const [i, list] of (bot.commandLists ?? []).entries()) {
      for (const scope of list.scopes) {
        if (!botScopes.has(scope)) problems.push(`/bots/0/commandLists/${i} lists commands for scope "${scope}", which the bot does not have`);
        if (seen.has(scope)) problems.push(`/bots/0/commandLists/${i}: scope "${scope}" already has a command list (one list per scope)`);
        seen.add(scope);
      }
    }
  }

  const sso = manifest.webApplicationInfo;
  if (!sso) {
    problems.push('/webApplicationInfo is missing: Teams single sign-on needs the Entra app id and its application ID URI');
  } else if (!sso.resource) {
    problems.push('/webApplicationInfo/resource is missing: set it to the application ID URI (api://<bot domain>/<client id>)');
  } else {
    const resource = sso.resource;
    if (!resource.startsWith('api://')) problems.push(`/webApplicationInfo/resource "${resource}" must start with api://`);
    if (!resource.toLowerCase().endsWith(sso.id.toLowerCase())) {
      problems.push(`/webApplicationInfo/resource "${resource}" must end with the app's client id ${sso.id} (webApplicationInfo.id)`);
    }
    // api://<domain>/<client id>: Teams issues the SSO token only when that domain is one of the app's domains.
    const host = /^api:\/\/([^/]+)\/./.exec(resource)?.[1];
    if (host && !domainListed(host, validDomains)) {
      problems.push(`/webApplicationInfo/resource names the domain "${host}", which is not in /validDomains`);
    }
  }
  return problems;
}

/** The icon paths from the manifest, resolved inside `appPackageDir`, with what is wrong with each file. */
function checkIcons(manifest: TeamsManifest, appPackageDir: string): { files: Record<IconKind, string>; problems: string[] } {
  const problems: string[] = [];
  const files = {} as Record<IconKind, string>;
  for (const kind of ['color', 'outline'] as const) {
    const relative = manifest.icons?.[kind];
    if (typeof relative !== 'string') continue; // the schema reports it
    const file = path.resolve(appPackageDir, relative);
    if (path.isAbsolute(relative) || !file.startsWith(path.resolve(appPackageDir) + path.sep)) {
      problems.push(`/icons/${kind} "${relative}" must be a path inside appPackage/`);
    } else if (!fs.existsSync(file)) {
      problems.push(`/icons/${kind}: ${relative} does not exist in ${appPackageDir}`);
    } else {
      files[kind] = file;
      problems.push(...iconProblems(kind, relative, fs.readFileSync(file)));
    }
  }
  return { files, problems };
}

// --- 5. the package ----------------------------------------------------------------------------------------------

export interface BuildOptions {
  /** Holds manifest.json (the template) and the icons it names. */
  appPackageDir: string;
  values: Record<string, string | undefined>;
  /** The zip to write; its folder is created. */
  outFile: string;
}

/** Validates everything, then writes the zip; throws AppPackageError with every problem and writes nothing. */
export function buildAppPackage({ appPackageDir, values, outFile }: BuildOptions): { outFile: string; manifest: TeamsManifest } {
  const templateFile = path.join(appPackageDir, 'manifest.json');
  let template: unknown;
  try {
    template = JSON.parse(fs.readFileSync(templateFile, 'utf8'));
  } catch (err) {
    throw new AppPackageError([`${templateFile} cannot be read as JSON: ${(err as Error).message}`]);
  }
  const manifest = withCommandMenu(substitutePlaceholders(template, values) as TeamsManifest);
  const schema = schemaProblems(manifest);
  const icons = checkIcons(manifest, appPackageDir);
  // The rules below assume the shape the schema guarantees, so they run only on a schema-valid manifest.
  const problems = [...schema, ...icons.problems, ...(schema.length === 0 ? manifestProblems(manifest) : [])];
  if (problems.length) throw new AppPackageError(problems);

  const zip = new AdmZip();
  zip.addFile('manifest.json', Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`, 'utf8'));
  for (const kind of ['color', 'outline'] as const) {
    zip.addFile(manifest.icons[kind].replace(/\\/g, '/').replace(/^\.\//, ''), fs.readFileSync(icons.files[kind]));
  }
  fs.mkdirSync(path.dirname(outFile), { recursive: true });
  zip.writeZip(outFile);
  return { outFile, manifest };
}

// --- the command line --------------------------------------------------------------------------------------------

export interface CliOptions {
  envName: string;
  outFile?: string;
}

/** `--env <name>` (default local) and `--out <file>`, also as `--env=<name>`. */
export function parseArgs(argv: string[]): CliOptions {
  const options: CliOptions = { envName: 'local' };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split(/=(.*)/s, 2);
    const value = (): string => {
      const v = inline ?? argv[++i];
      if (v === undefined || v === '') throw new AppPackageError([`${flag} needs a value`]);
      return v;
    };
    if (flag === '--env') options.envName = value();
    else if (flag === '--out') options.outFile = value();
    else throw new AppPackageError([`unknown argument "${argv[i]}" (usage: npm run package -- [--env <name>] [--out <file.zip>])`]);
  }
  return options;
}

/** The repository root, whether running from sources or from dist/. */
export function projectRoot(): string {
  let dir = __dirname;
  while (!fs.existsSync(path.join(dir, 'package.json')) && path.dirname(dir) !== dir) dir = path.dirname(dir);
  return dir;
}

export interface CliContext {
  /** Holds env/ and appPackage/. */
  root: string;
  env: Record<string, string | undefined>;
  cwd: string;
  log: (line: string) => void;
  error: (line: string) => void;
}

/** The whole command; returns the exit code (0 written, 1 not). */
export function runCli(argv: string[], { root, env, cwd, log, error }: CliContext): number {
  const rel = (p: string): string => path.relative(cwd, p) || '.';
  let sources = '';
  try {
    const { envName, outFile } = parseArgs(argv);
    const { values, files } = loadEnvValues({ envDir: path.join(root, 'env'), envName, processEnv: env });
    sources = `${files.map(rel).join(' + ')} and the environment`;
    const appPackageDir = path.join(root, 'appPackage');
    const result = buildAppPackage({
      appPackageDir,
      values,
      outFile: outFile ? path.resolve(cwd, outFile) : path.join(appPackageDir, 'build', `appPackage.${envName}.zip`),
    });
    const m = result.manifest;
    log(`Wrote ${rel(result.outFile)} (manifest ${m.manifestVersion}, Teams app ${m.id}, bot ${m.bots?.[0]?.botId}) from ${sources}`);
    return 0;
  } catch (err) {
    if (!(err instanceof AppPackageError)) throw err;
    error(sources ? `${err.message}\n(values were read from ${sources})` : err.message);
    return 1;
  }
}

if (require.main === module) {
  process.exitCode = runCli(process.argv.slice(2), {
    root: projectRoot(),
    env: process.env,
    cwd: process.cwd(),
    log: (line) => console.log(line),
    error: (line) => console.error(line),
  });
}
