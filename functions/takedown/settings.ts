import { defineSettings } from '../shared/settings';

/**
 * The takedown function's environment (see ../shared/settings.ts): none. The bucket and the keys
 * come with each invocation (the upload the run was about), so nothing is configured.
 */
export const takedownSettings = defineSettings({});
