import { integerSetting } from '../shared/settings';

/**
 * Seconds a page-token key read from its secret is reused: how long a rotation takes to reach
 * every execution environment. One definition for both functions that sign page tokens (articles
 * and media), in a module of its own so the media function does not build the articles settings.
 */
export const pageTokenSecretMaxAgeSetting = () => integerSetting({ min: 1, max: 3600, default: 300 });
