/** Placeholder until the runs pages land. */
export function RunPage() {
  return <p>Runs</p>;
}
