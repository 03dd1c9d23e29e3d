/** A route the UI does not have. */
import { Stack, Text, Title } from '@mantine/core';
import { Link, useLocation } from 'react-router';

export function NotFoundPage() {
  const { pathname } = useLocation();
  return (
    <Stack>
      <Title order={2}>Page not found</Title>
      <Text>
        There is no page at <code>{pathname}</code>. <Link to="/">Back to the start</Link>.
      </Text>
    </Stack>
  );
}
