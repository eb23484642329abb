import { makeDirectories, OUTPUT_MODES, writeFileNoFollow } from '../core/host/owned-files.ts';
import { join } from 'node:path';
import { BadInputError, InfrastructureError } from '../core/domain/errors.ts';
import { harnessVersion } from './harness-version.ts';
import { renderHtmlReport } from './html-report.ts';
import { buildJsonReport, renderJsonReport } from './json-report.ts';
import { renderJunitReport } from './junit-report.ts';
import { renderMarkdownSummary } from './markdown-summary.ts';
import { buildReportModel } from './report-model.ts';
import { buildSarifReport, renderSarifReport } from './sarif-report.ts';
import type { RunResults } from './run-results.ts';

export const REPORT_FILES = {
  json: 'report.json',
  junit: 'junit.xml',
  markdown: 'summary.md',
  html: 'report.html',
  sarif: 'report.sarif',
} as const;

export interface WriteReportsOptions {
  /** Defaults to the version in package.json. */
  readonly harnessVersion?: string;
  readonly generatedAt?: Date;
}

/**
 * Write to a temporary name, then rename: a report interrupted mid-write (Ctrl-C) never replaces a whole one.
 * Mode 0644 whatever the umask; a link planted under the report's name is replaced, not followed.
 */
async function writeAtomically(path: string, content: string): Promise<void> {
  try {
    await writeFileNoFollow(path, content, { mode: OUTPUT_MODES.file });
  } catch (error) {
    throw new InfrastructureError('reports', `cannot write ${path}: ${(error as Error).message}`, { cause: error });
  }
}

/**
 * Render report.json, junit.xml, summary.md, report.html and report.sarif from (merged) results into `outDir`. Called by
 * `breachmatrix run` at the end and on Ctrl-C, and by `breachmatrix report`.
 */
export async function writeReports(outDir: string, results: RunResults, options: WriteReportsOptions = {}): Promise<{ files: string[] }> {
  try {
    await makeDirectories(outDir, OUTPUT_MODES.dir);
  } catch (error) {
    throw new BadInputError(`cannot create the output directory (${(error as Error).message})`, outDir, 'a writable directory path');
  }
  const model = buildReportModel(results);
  const version = options.harnessVersion ?? (await harnessVersion());
  const report = buildJsonReport(model, {
    harnessVersion: version,
    ...(options.generatedAt === undefined ? {} : { generatedAt: options.generatedAt }),
  });
  const outputs: readonly [string, string][] = [
    [REPORT_FILES.json, renderJsonReport(report)],
    [REPORT_FILES.junit, renderJunitReport(model)],
    [REPORT_FILES.markdown, renderMarkdownSummary(model)],
    [REPORT_FILES.html, renderHtmlReport(report)],
    [REPORT_FILES.sarif, renderSarifReport(buildSarifReport(model, { harnessVersion: version }))],
  ];
  const files = outputs.map(([name]) => join(outDir, name));
  await Promise.all(outputs.map(([name, content]) => writeAtomically(join(outDir, name), content)));
  return { files };
}
