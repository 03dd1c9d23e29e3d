/** Placeholder until the projects pages land. */
export function ProjectsPage() {
  return <p>Projects</p>;
}
