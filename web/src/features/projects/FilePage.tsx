/** Placeholder until the projects pages land. */
export function FilePage() {
  return <p>Projects</p>;
}
