// Tests and clients read JSON bodies of known shape; Node 20's types say `unknown`, which adds casts everywhere.
declare global {
  interface Response {
    json(): Promise<any>;
  }
}
export {};
