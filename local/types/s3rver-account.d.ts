/** s3rver's account model (lib/models/account.js), which @types/s3rver leaves out: the access keys s3rver accepts. */
declare module 's3rver/lib/models/account' {
  interface AWSAccount {
    createKeyPair(accessKeyId: string, secretAccessKey: string): void;
  }
  export const DUMMY_ACCOUNT: AWSAccount;
}

/** s3rver's object model (lib/models/object.js): the metadata it keeps of an upload. */
declare module 's3rver/lib/models/object' {
  const S3Object: { ALLOWED_METADATA: readonly string[] };
  export = S3Object;
}
