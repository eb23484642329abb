import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { SarifBuilder, SarifResultBuilder, SarifRuleBuilder, SarifRunBuilder } from 'node-sarif-builder';
import type { Log, ReportingConfiguration, Result } from 'sarif';
import type { Severity } from '../core/domain/attack.ts';
import type { Cell } from '../core/domain/cell.ts';
import type { AttackSummary, ProfileSummary } from '../core/domain/results.ts';
import { attackSeverity, cellFixes, fixLine } from './attack-advice.ts';
import { expectedText, observedText } from './cell-label.ts';
import type { ReportModel } from './report-model.ts';

/** The SARIF 2.1.0 schema as published by OASIS (errata 01). */
export const SARIF_SCHEMA_URI = 'https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json';

/**
 * GitHub code scanning reads `security-severity` (0.1–10: low < 4, medium < 7, high < 9, critical ≥ 9) and the
 * result level: https://docs.github.com/en/code-security/code-scanning/integrating-with-code-scanning/sarif-support-for-code-scanning
 */
const SEVERITY_SCORE: Readonly<Record<Severity, string>> = { critical: '9.5', high: '8.0', medium: '5.5', low: '3.0' };
const SEVERITY_LEVEL: Readonly<Record<Severity, ReportingConfiguration.level>> = { critical: 'error', high: 'error', medium: 'warning', low: 'note' };

/** Attack files whose name is not the id in lower case (variants defined next to their attack). */
const SOURCE_FILE_OVERRIDES: Readonly<Record<string, string>> = { 'AM4-mark-mesh': 'am4-mark' };

/** The catalogue file that defines the attack, relative to the repository root: the result's physical location. */
export function attackSourcePath(attack: Pick<AttackSummary, 'id' | 'family'>): string {
  const base = SOURCE_FILE_OVERRIDES[attack.id] ?? attack.id.replace(/-priv$/, '').toLowerCase();
  return `attack-pods/catalogue/${attack.family}/${base}.ts`;
}

const REPOSITORY_ROOT = new URL('../', import.meta.url);

/**
 * The line of the attack's file that names its id (`const ID = 'SC1'`, `id: 'AM4-mark'`; a `-priv` variant is
 * defined with its attack): code scanning needs a region.startLine to show an alert. Line 1 when the file or the
 * id is not found (results read by a build that does not ship the catalogue's sources).
 */
export function attackSourceLine(attack: Pick<AttackSummary, 'id' | 'family'>): number {
  let source: string;
  try {
    source = readFileSync(new URL(attackSourcePath(attack), REPOSITORY_ROOT), 'utf8');
  } catch {
    return 1;
  }
  const quoted = `'${attack.id.replace(/-priv$/, '')}'`;
  const index = source.split('\n').findIndex((line) => line.includes(quoted));
  return index < 0 ? 1 : index + 1;
}

function ruleName(attack: AttackSummary): string {
  const family = attack.family.split('-').map((word) => `${word.charAt(0).toUpperCase()}${word.slice(1)}`).join('');
  return `${family}/${attack.id}`;
}

function helpMarkdown(attack: AttackSummary): string {
  const severity = attackSeverity(attack.id);
  return [
    `**${attack.id}: ${attack.title}**`,
    '',
    attack.technique,
    '',
    ...(severity === undefined ? [] : [`Severity: **${severity.level}** — ${severity.reason}`, '']),
    'References:',
    ...attack.references.map((reference) => `- [${reference.title}](${reference.url})`),
  ].join('\n');
}

function rule(attack: AttackSummary): SarifRuleBuilder {
  const severity = attackSeverity(attack.id);
  const helpUri = attack.references[0]?.url;
  return new SarifRuleBuilder({
    id: attack.id,
    name: ruleName(attack),
    shortDescription: { text: attack.title },
    fullDescription: { text: attack.technique },
    ...(helpUri === undefined ? {} : { helpUri }),
    help: { text: `${attack.technique}\n\nReferences:\n${attack.references.map((reference) => `- ${reference.title}: ${reference.url}`).join('\n')}`, markdown: helpMarkdown(attack) },
    defaultConfiguration: { level: severity === undefined ? 'warning' : SEVERITY_LEVEL[severity.level] },
    properties: {
      tags: ['security', 'network-policy', attack.family, ...(severity === undefined ? [] : [severity.level])],
      precision: 'high',
      ...(severity === undefined ? {} : { 'security-severity': SEVERITY_SCORE[severity.level], 'severity-reason': severity.reason }),
      references: attack.references.map((reference) => ({ title: reference.title, url: reference.url })),
    },
  });
}

function resultLevel(cell: Cell): Result.level {
  if (cell.outcome === 'allowed') {
    const severity = attackSeverity(cell.attackId);
    return severity === undefined ? 'warning' : SEVERITY_LEVEL[severity.level];
  }
  // Unexpected but not allowed: a different layer, no verdict or a failure; worth a look, not an exposure.
  return cell.outcome === 'blocked' ? 'note' : 'warning';
}

function message(cell: Cell, profile: ProfileSummary): string {
  const where = `${profile.id}${profile.isLab ? " (lab: the lab's model of each layer)" : ''}`;
  const head =
    cell.outcome === 'allowed'
      ? `${cell.attackId} got through on ${where}: ${cell.title}.`
      : `${cell.attackId} on ${where} differs from the expectation: observed ${observedText(cell)}.`;
  const fixes = cellFixes(cell, profile);
  return [
    head,
    `Expected: ${expectedText(cell.expected)} (${cell.expected.certainty}); observed: ${observedText(cell)}${cell.asExpected ? '' : ' (unexpected)'}.`,
    ...(cell.reason === undefined ? [] : [`Reason: ${cell.reason}.`]),
    ...(fixes.length === 0 ? [] : [`Fix: ${fixes.map(fixLine).join(' | ')}`]),
  ].join(' ');
}

function result(cell: Cell, profile: ProfileSummary, attack: AttackSummary): SarifResultBuilder {
  const fixes = cellFixes(cell, profile);
  return new SarifResultBuilder({
    ruleId: cell.attackId,
    level: resultLevel(cell),
    message: { text: message(cell, profile) },
    locations: [
      {
        physicalLocation: { artifactLocation: { uri: attackSourcePath(attack) }, region: { startLine: attackSourceLine(attack) } },
        logicalLocations: [{ name: profile.id, fullyQualifiedName: `${profile.provider}/${profile.id}`, kind: 'module' }],
      },
    ],
    // One alert per (attack, stack): code scanning would otherwise merge the stacks that share the attack's file.
    partialFingerprints: { 'breachmatrix/cell/v1': createHash('sha256').update(`${cell.attackId}\u0000${profile.id}`).digest('hex') },
    properties: {
      profile: profile.id,
      provider: profile.provider,
      isLab: profile.isLab,
      outcome: cell.outcome,
      expected: expectedText(cell.expected),
      asExpected: cell.asExpected,
      ...(cell.blockedBy === undefined ? {} : { blockedBy: cell.blockedBy }),
      ...(cell.confidence === undefined ? {} : { confidence: cell.confidence }),
      runId: cell.runId,
      ...(fixes.length === 0 ? {} : { fixes: fixes.map((fix) => ({ layer: fix.layer, feature: fix.feature, policy: fix.policy, source: { title: fix.source.title, url: fix.source.url } })) }),
    },
  });
}

export interface SarifReportOptions {
  readonly harnessVersion: string;
}

/**
 * report.sarif (SARIF 2.1.0): one rule per attack in the results, one result per ALLOWED cell and per other cell
 * that differs from its expectation (outside a failed profile's banner), located at the attack's catalogue file
 * and, logically, at the profile. Built with node-sarif-builder.
 */
export function buildSarifReport(model: ReportModel, options: SarifReportOptions): Log {
  const run = new SarifRunBuilder({
    tool: { driver: { name: 'breachmatrix', version: options.harnessVersion, semanticVersion: options.harnessVersion, rules: [] } },
    automationDetails: { id: `breachmatrix/${model.results.runs.map((entry) => entry.runId).join('+')}` },
    invocations: [
      {
        executionSuccessful: !model.results.interrupted && model.results.profileErrors.length === 0,
        ...(model.results.startedAt === '' ? {} : { startTimeUtc: model.results.startedAt }),
        ...(model.results.finishedAt === '' ? {} : { endTimeUtc: model.results.finishedAt }),
        toolExecutionNotifications: model.results.profileErrors.map((error) => ({
          level: 'error' as const,
          message: { text: `profile ${error.profileId} failed (${error.component}): ${error.message}` },
        })),
      },
    ],
  });
  const unexpected = new Set(model.unexpectedOutsideBanners);
  for (const group of model.families) {
    for (const row of group.rows) {
      run.addRule(rule(row.attack));
      row.cells.forEach((cell, index) => {
        const profile = model.profiles[index];
        if (cell === undefined || profile === undefined) return;
        if (cell.outcome === 'allowed' || unexpected.has(cell)) run.addResult(result(cell, profile, row.attack));
      });
    }
  }
  const builder = new SarifBuilder({ $schema: SARIF_SCHEMA_URI, version: '2.1.0' });
  builder.addRun(run);
  return builder.buildSarifOutput();
}

export function renderSarifReport(log: Log): string {
  return `${JSON.stringify(log, null, 2)}\n`;
}
