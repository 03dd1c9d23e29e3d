/** Placeholder until the projects pages land. */
export function ProjectPage() {
  return <p>Projects</p>;
}
