/** The e2e tests talk HTTP with the same client as the smoke command. */
export { encodeForm, send, type HttpResponse } from '../../../smoke/http';
