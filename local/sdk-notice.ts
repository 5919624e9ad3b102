/*
 * SDK v3 prints a Node-version notice when it loads on Node 20. It says nothing about the twin and
 * buries the endpoint list, so it is silenced before any SDK module loads (imported first).
 */
process.env.AWS_SDK_JS_SUPPRESS_MAINTENANCE_MODE_MESSAGE ??= '1';
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

export {};
