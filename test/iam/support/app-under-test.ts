/** The synthesized app with everything the permission tests read from it, built once per test file. */
import { CfnResolver, type StackTemplate } from './cfn-resolver';
import { identifyRoles, type AppRoles, type ProjectRole } from './project-roles';
import { ResourceNames, type RoleView } from './roles';
import { synthApp } from './synth';

export interface AppUnderTest {
  stacks: StackTemplate[];
  resolver: CfnResolver;
  names: ResourceNames;
  roles: AppRoles;
}

export function appUnderTest(stacks: StackTemplate[] = synthApp()): AppUnderTest {
  const resolver = new CfnResolver(stacks);
  return { stacks, resolver, names: new ResourceNames(resolver), roles: identifyRoles(resolver) };
}

/** The role, or a failure that says why it could not be found (a missing role is not a passing one). */
export function projectRole(app: AppUnderTest, key: ProjectRole): RoleView {
  const role = app.roles.project[key];
  if (role === undefined)
    throw new Error(`The ${key} role is not in the app: ${app.roles.missing[key] ?? 'not found'}`);
  return role;
}
