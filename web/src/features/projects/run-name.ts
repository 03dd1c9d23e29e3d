/** The default name of a run started from a job file. */

/** A job name Kubernetes accepts: the job file's name and a time stamp, lower-case, at most 52 characters. */
export function runName(jobPath: string, now = Date.now()): string {
  const base = (jobPath.split('/').pop() ?? 'run').replace(/\.(ya?ml)$/i, '').toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '');
  return `${(base || 'run').slice(0, 40)}-${now.toString(36).slice(-6)}`.replace(/-+/g, '-');
}
