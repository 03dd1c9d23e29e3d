/** Placeholder until the runs pages land. */
export function RunsPage() {
  return <p>Runs</p>;
}
