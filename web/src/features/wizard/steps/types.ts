/** What the wizard gives each step: the workflow, how to post the step's fields, and the last post's state. */
import type { WorkflowView } from '../model';

export interface StepProps {
  workflow: WorkflowView;
  /** Posts a step (the body in the seed's shape); the wizard moves on when it is accepted. */
  submit: (body: Record<string, unknown>) => void;
  pending: boolean;
  error: unknown;
}
