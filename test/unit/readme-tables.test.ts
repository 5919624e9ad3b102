import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { routeKey, routes } from '../../functions/api/routes';

/*
 * README's summary tables are written for readers, so they are prose, not generated; these tests
 * hold them to their sources: the REST API table to functions/api/routes.ts, the "Least privilege"
 * table to docs/permissions.md (itself generated from the synthesized app and checked by test/iam).
 */

const REPO_ROOT = join(__dirname, '..', '..');
const README = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
const PERMISSIONS = readFileSync(join(REPO_ROOT, 'docs', 'permissions.md'), 'utf8');

/** The text under a `## ` heading, up to the next one. */
function section(markdown: string, heading: string): string {
  const parts = markdown.split(/^## /m);
  const found = parts.find((part) => part.split('\n', 1)[0]?.trim() === heading);
  if (found === undefined) throw new Error(`no section "## ${heading}"`);
  return found;
}

/** The body rows of the first Markdown table in `text`, each as its trimmed cells. */
function firstTable(text: string): string[][] {
  const lines = text.split('\n');
  const start = lines.findIndex((line) => line.startsWith('|'));
  const rows: string[][] = [];
  for (const line of lines.slice(start + 2)) {
    if (!line.startsWith('|')) break;
    rows.push(
      line
        .slice(1, -1)
        .split('|')
        .map((cell) => cell.trim()),
    );
  }
  return rows;
}

const withoutNotes = (cell: string): string => cell.replace(/\([^()]*\)/g, '').trim();

/**
 * The IAM actions a README cell names: `dynamodb:GetItem, PutItem · Query` is three actions of
 * dynamodb (a bare name takes the service of the action before it); parenthesised notes are left
 * out. Anything else in the cell fails, so a cell the parser does not understand cannot pass.
 */
function actionsIn(cell: string): string[] {
  let service: string | undefined;
  return withoutNotes(cell)
    .split(/[·,]/)
    .map((piece) => piece.trim())
    .filter((piece) => piece !== '')
    .map((piece) => {
      const qualified = /^([a-z0-9-]+):([A-Za-z]+)$/.exec(piece);
      if (qualified !== null) {
        service = qualified[1];
        return piece;
      }
      if (/^[A-Z][A-Za-z]+$/.test(piece) && service !== undefined) return `${service}:${piece}`;
      throw new Error(`README "Least privilege": cannot read "${piece}" as an IAM action in "${cell}"`);
    });
}

/** Each README principal with the actions of its rows (a row with no principal continues the one above). */
function readmePrincipals(): Map<string, Set<string>> {
  const principals = new Map<string, Set<string>>();
  let current: Set<string> | undefined;
  for (const [principal = '', mayDo = ''] of firstTable(section(README, 'Least privilege'))) {
    if (principal !== '') {
      current = new Set();
      principals.set(withoutNotes(principal), current);
    }
    if (current === undefined) throw new Error('README "Least privilege": the first row names no principal');
    for (const action of actionsIn(mayDo)) current.add(action);
  }
  return principals;
}

/** Each docs/permissions.md section with the actions its table grants. */
function documentedRoles(): Map<string, Set<string>> {
  const roles = new Map<string, Set<string>>();
  for (const part of PERMISSIONS.split(/^## /m).slice(1)) {
    const heading = part.split('\n', 1)[0]?.trim() ?? '';
    const actions = new Set<string>();
    for (const [action = ''] of firstTable(part)) {
      const name = /^`([a-z0-9-]+:[A-Za-z]+)`$/.exec(action)?.[1];
      if (name !== undefined) actions.add(name);
    }
    roles.set(heading, actions);
  }
  return roles;
}

/** The README's principals that are not functions, and the docs/permissions.md section of each. */
const SERVICE_PRINCIPALS: Record<string, string> = {
  'state machine': 'Media pipeline state machine',
  'EventBridge rule': 'EventBridge rule target (media uploaded)',
  'sweeper schedule': "EventBridge Scheduler's role for the sweeper's schedule",
};

/** README says so under its table: every function also writes its own logs and X-Ray segments. */
const SHOWN_ELSEWHERE = /^(logs|xray):/;

/** `thumbnail fn` -> the section `Thumbnail function` (or `Execution watcher function`, `Sweeper function (…)`). */
function sectionOfFunction(name: string, headings: readonly string[]): string | undefined {
  const pattern = new RegExp(`(^|\\s)${name} function( \\(|$)`, 'i');
  const matches = headings.filter((heading) => pattern.test(heading));
  return matches.length === 1 ? matches[0] : undefined;
}

describe('README "REST API" table', () => {
  it('lists exactly the routes of functions/api/routes.ts, with their authorization', () => {
    // Arrange
    const rows = firstTable(section(README, 'REST API'));

    // Act
    const listed = rows.map(([route = '', auth = '']) => {
      const [method = '', target = ''] = route.replace(/`/g, '').split(' ');
      return `${routeKey({ method: method as 'GET', resource: target.split('?')[0] ?? '' })} ${auth !== 'no'}`;
    });

    // Assert
    expect(listed.sort()).toEqual(routes.map((route) => `${routeKey(route)} ${route.auth}`).sort());
  });
});

describe('README "Least privilege" table', () => {
  const principals = readmePrincipals();
  const documented = documentedRoles();
  const headings = [...documented.keys()];
  const functionHeadings = headings.filter((heading) => /^(.* )?[A-Za-z]+ function( \(.*\))?$/.test(heading));

  it('has a row for every function role and every service role of the pipeline', () => {
    // Act
    const covered = [...principals.keys()].map((principal) =>
      principal.endsWith(' fn')
        ? sectionOfFunction(principal.slice(0, -' fn'.length), headings)
        : SERVICE_PRINCIPALS[principal],
    );

    // Assert
    expect(functionHeadings.length).toBeGreaterThanOrEqual(9);
    expect(functionHeadings.filter((heading) => !covered.includes(heading))).toEqual([]);
    expect(Object.values(SERVICE_PRINCIPALS).filter((heading) => !covered.includes(heading))).toEqual([]);
  });

  it.each([...principals.keys()].filter((principal) => principal !== 'API Gateway'))(
    '%s: the actions README names are those docs/permissions.md grants (logs and X-Ray aside)',
    (principal) => {
      // Arrange
      const heading = principal.endsWith(' fn')
        ? sectionOfFunction(principal.slice(0, -' fn'.length), headings)
        : SERVICE_PRINCIPALS[principal];
      const granted = [...(documented.get(heading ?? '') ?? [])].filter((action) => !SHOWN_ELSEWHERE.test(action));

      // Act
      const named = [...(principals.get(principal) ?? [])];

      // Assert
      expect(heading).toBeDefined();
      expect(named.sort()).toEqual(granted.sort());
    },
  );

  it('API Gateway: may only invoke the functions behind the routes, as the resource-based permissions say', () => {
    // Arrange
    const invokers = firstTable(section(PERMISSIONS, 'Who may invoke functions (resource-based permissions)'));

    // Act
    const apiGatewayRows = invokers.filter(([, principal]) => principal === '`apigateway.amazonaws.com`');

    // Assert
    expect([...(principals.get('API Gateway') ?? [])]).toEqual(['lambda:InvokeFunction']);
    expect(apiGatewayRows).toHaveLength(routes.length);
  });
});
