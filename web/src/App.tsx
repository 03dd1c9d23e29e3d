/**
 * Routes. Each page is a lazy chunk (ECharts and CodeMirror load with the first page that needs them). To add a page:
 * write it under features/<area>/, add a route here and, when it belongs in the navigation, an entry in shell/nav.ts.
 */
import { lazy } from 'react';
import { createBrowserRouter, RouterProvider } from 'react-router';
import { Layout } from './shell/Layout';
import { NotFoundPage } from './shell/NotFound';

const results = () => import('./features/results');
const ResultsListPage = lazy(() => results().then((m) => ({ default: m.ResultsListPage })));
const ResultPage = lazy(() => results().then((m) => ({ default: m.ResultPage })));
const ComparePage = lazy(() => results().then((m) => ({ default: m.ComparePage })));
const HistoryPage = lazy(() => results().then((m) => ({ default: m.HistoryPage })));
const HomePage = lazy(() => import('./features/home/HomePage').then((m) => ({ default: m.HomePage })));
const ProjectsPage = lazy(() => import('./features/projects/ProjectsPage').then((m) => ({ default: m.ProjectsPage })));
const ProjectPage = lazy(() => import('./features/projects/ProjectPage').then((m) => ({ default: m.ProjectPage })));
const FilePage = lazy(() => import('./features/projects/FilePage').then((m) => ({ default: m.FilePage })));
const RunsPage = lazy(() => import('./features/runs/RunsPage').then((m) => ({ default: m.RunsPage })));
const RunPage = lazy(() => import('./features/runs/RunPage').then((m) => ({ default: m.RunPage })));
const ModelsPage = lazy(() => import('./features/models/ModelsPage').then((m) => ({ default: m.ModelsPage })));
const OccupancyPage = lazy(() => import('./features/models/OccupancyPage').then((m) => ({ default: m.OccupancyPage })));
const ClustersPage = lazy(() => import('./features/clusters/ClustersPage').then((m) => ({ default: m.ClustersPage })));
const DeployPage = lazy(() => import('./features/deploy/DeployPage').then((m) => ({ default: m.DeployPage })));
const QueuePage = lazy(() => import('./features/queue/QueuePage').then((m) => ({ default: m.QueuePage })));
const QueueItemPage = lazy(() => import('./features/queue/QueueItemPage').then((m) => ({ default: m.QueueItemPage })));
const WorkflowsPage = lazy(() => import('./features/wizard/WorkflowsPage').then((m) => ({ default: m.WorkflowsPage })));
const WizardPage = lazy(() => import('./features/wizard/WizardPage').then((m) => ({ default: m.WizardPage })));
const EvaluationsPage = lazy(() => import('./features/evaluations/EvaluationsPage').then((m) => ({ default: m.EvaluationsPage })));
const EvaluationPage = lazy(() => import('./features/evaluations/EvaluationPage').then((m) => ({ default: m.EvaluationPage })));
const FollowerPage = lazy(() => import('./features/follower/FollowerPage').then((m) => ({ default: m.FollowerPage })));
const MlflowPage = lazy(() => import('./features/mlflow/MlflowPage').then((m) => ({ default: m.MlflowPage })));

const router = createBrowserRouter([
  {
    element: <Layout />,
    children: [
      { path: '/', element: <HomePage /> },
      { path: '/projects', element: <ProjectsPage /> },
      { path: '/projects/:projectId', element: <ProjectPage /> },
      { path: '/projects/:projectId/files/:fileId', element: <FilePage /> },
      { path: '/runs', element: <RunsPage /> },
      { path: '/runs/:name', element: <RunPage /> },
      { path: '/results', element: <ResultsListPage /> },
      { path: '/results/:pk', element: <ResultPage /> },
      { path: '/compare', element: <ComparePage /> },
      { path: '/history', element: <HistoryPage /> },
      { path: '/models', element: <ModelsPage /> },
      { path: '/occupancy', element: <OccupancyPage /> },
      { path: '/clusters', element: <ClustersPage /> },
      { path: '/deploy', element: <DeployPage /> },
      { path: '/queue', element: <QueuePage /> },
      { path: '/queue/:id', element: <QueueItemPage /> },
      { path: '/workflows', element: <WorkflowsPage /> },
      { path: '/workflows/new', element: <WizardPage /> },
      { path: '/workflows/:id', element: <WizardPage /> },
      { path: '/evaluations', element: <EvaluationsPage /> },
      { path: '/evaluations/:id', element: <EvaluationPage /> },
      { path: '/mlflow', element: <MlflowPage /> },
      { path: '/follower', element: <FollowerPage /> },
      { path: '*', element: <NotFoundPage /> },
    ],
  },
]);

export function App() {
  return <RouterProvider router={router} />;
}
