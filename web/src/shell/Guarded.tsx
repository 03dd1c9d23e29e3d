/** A control that needs a role: disabled, with the reason in a tooltip, when the session's role cannot use it. */
import { Tooltip } from '@mantine/core';
import { cloneElement, type ReactElement } from 'react';
import { useDenied, type Role } from '../auth/session';

export function Guarded({ role, children }: { role: Role; children: ReactElement<{ disabled?: boolean }> }) {
  const denied = useDenied(role);
  if (!denied) return children;
  return (
    <Tooltip label={denied} withArrow>
      <span data-denied={denied}>{cloneElement(children, { disabled: true })}</span>
    </Tooltip>
  );
}
