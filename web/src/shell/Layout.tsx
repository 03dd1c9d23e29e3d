/** The application shell: header (name, session role, token), navigation from nav.ts, and the page. */
import { AppShell, Badge, Burger, Button, Group, NavLink, ScrollArea, Stack, Text, Title } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { Suspense } from 'react';
import { Link, Outlet, useLocation } from 'react-router';
import { useSession } from '../auth/session';
import { TokenPrompt } from '../auth/TokenPrompt';
import { getToken, setToken } from '../auth/token';
import { PageLoader } from './PageLoader';
import { isActive, NAV } from './nav';

export function Layout() {
  const [opened, { toggle }] = useDisclosure();
  const { pathname } = useLocation();
  const session = useSession();
  return (
    <AppShell header={{ height: 52 }} navbar={{ width: 210, breakpoint: 'sm', collapsed: { mobile: !opened } }} padding="md">
      <AppShell.Header>
        <Group h="100%" px="md" justify="space-between">
          <Group gap="xs">
            <Burger opened={opened} onClick={toggle} hiddenFrom="sm" size="sm" aria-label="Navigation" />
            <Link to="/" style={{ color: 'inherit', textDecoration: 'none' }}>
              <Title order={4}>BenchOps</Title>
            </Link>
          </Group>
          <Group gap="xs">
            {session.role && (
              <Badge variant="light" data-testid="session-role" title={session.authRequired ? 'Role of your token' : 'No tokens configured: local admin'}>
                {session.authRequired ? session.role : 'local admin'}
              </Badge>
            )}
            {session.authRequired && getToken() && (
              <Button size="compact-xs" variant="subtle" onClick={() => setToken(null)}>
                Forget token
              </Button>
            )}
          </Group>
        </Group>
      </AppShell.Header>
      <AppShell.Navbar p="xs">
        <ScrollArea>
          <Stack gap="sm">
            {NAV.map((section) => (
              <div key={section.title}>
                <Text size="xs" c="dimmed" fw={600} tt="uppercase" px="sm" pb={2}>
                  {section.title}
                </Text>
                {section.items.map((item) => (
                  <NavLink key={item.to} component={Link} to={item.to} label={item.label} active={isActive(item, pathname)} />
                ))}
              </div>
            ))}
          </Stack>
        </ScrollArea>
      </AppShell.Navbar>
      <AppShell.Main>
        {session.loading ? (
          <PageLoader label="Checking your session…" />
        ) : session.authRequired && !session.role ? (
          // no page asks the APIs before there is a token: the prompt is all there is to do
          <Text c="dimmed">Sign in with a token to use BenchOps.</Text>
        ) : (
          <Suspense fallback={<PageLoader />}>
            <Outlet />
          </Suspense>
        )}
      </AppShell.Main>
      <TokenPrompt />
    </AppShell>
  );
}
