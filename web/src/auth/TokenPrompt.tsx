/** Asks for a bearer token when the platform requires one and none (or an invalid one) is stored. */
import { Button, Modal, PasswordInput, Stack, Text } from '@mantine/core';
import { useState } from 'react';
import { useSession } from './session';
import { getToken, setToken } from './token';

export function TokenPrompt() {
  const session = useSession();
  const [value, setValue] = useState('');
  const open = !session.loading && session.authRequired && session.role === null;
  const hadToken = !!getToken();
  return (
    <Modal opened={open} onClose={() => {}} withCloseButton={false} title="Sign in to BenchOps" centered>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          if (value.trim()) setToken(value.trim());
        }}
      >
        <Stack>
          <Text size="sm">
            This platform requires a bearer token (one of BENCHOPS_TOKENS). It is kept for this browser tab only.
          </Text>
          <PasswordInput
            label="Token"
            data-autofocus
            value={value}
            onChange={(e) => setValue(e.currentTarget.value)}
            error={hadToken && session.reason ? `The stored token was refused: ${session.reason}` : undefined}
          />
          <Button type="submit" disabled={!value.trim()}>
            Continue
          </Button>
        </Stack>
      </form>
    </Modal>
  );
}
