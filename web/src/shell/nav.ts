/**
 * The navigation, as data: sections of links the shell renders. A new page adds its entry here and its route in
 * App.tsx (the runs, queue, models and clusters pages of the UI's part 2 join the "Run" and "Serve" sections).
 */
export interface NavItem {
  label: string;
  to: string;
  /** Also highlighted for these path prefixes (a result page under Results). */
  match?: string[];
}

export interface NavSection {
  title: string;
  items: NavItem[];
}

export const NAV: NavSection[] = [
  { title: 'Overview', items: [{ label: 'Home', to: '/' }] },
  {
    title: 'Benchmarks',
    items: [
      { label: 'Projects', to: '/projects' },
      { label: 'Runs', to: '/runs', match: ['/runs/'] },
      { label: 'Apply YAML', to: '/deploy' },
      { label: 'Queue', to: '/queue' },
      { label: 'Performance wizard', to: '/workflows' },
      { label: 'Evaluations', to: '/evaluations' },
    ],
  },
  {
    title: 'Results',
    items: [
      { label: 'Results', to: '/results', match: ['/results/'] },
      { label: 'Compare', to: '/compare' },
      { label: 'Model history', to: '/history' },
    ],
  },
  {
    title: 'Serve',
    items: [
      { label: 'Models', to: '/models' },
      { label: 'Git follower', to: '/follower' },
      { label: 'GPU occupancy', to: '/occupancy' },
      { label: 'Clusters', to: '/clusters' },
      { label: 'MLflow', to: '/mlflow' },
    ],
  },
];

/** Whether `item` is the current page for `pathname`. */
export function isActive(item: NavItem, pathname: string): boolean {
  if (item.to === '/') return pathname === '/';
  return pathname === item.to || pathname.startsWith(`${item.to}/`) || (item.match ?? []).some((m) => pathname.startsWith(m));
}
