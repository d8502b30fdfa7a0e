/**
 * A gRPC client on the keyless socket that behaves like daprd's per-instance connection: it sends
 * x-component-instance on every call (or whatever headers a test chooses).
 */
import * as grpc from "@grpc/grpc-js";
import { loadComponentDefinition } from "../../src/runtime/componentDefinition.js";
import { loadStatusRoot } from "../../src/server/protos.js";

type Unary = (
  req: unknown,
  md: grpc.Metadata,
  cb: (err: grpc.ServiceError | null, res: unknown) => void,
) => void;

export interface CallError {
  code: number;
  details: string;
  /** Decoded google.rpc.Status from grpc-status-details-bin, when present. */
  status?: {
    code: number;
    message: string;
    details: { typeUrl: string; decoded: Record<string, unknown> }[];
  };
}

const pkgDef = loadComponentDefinition();
const loaded = grpc.loadPackageDefinition(pkgDef) as unknown as {
  dapr: { proto: { components: { v1: Record<string, grpc.ServiceClientConstructor> } } };
};
const statusRoot = loadStatusRoot();

export function decodeStatusDetails(buf: Buffer): CallError["status"] {
  const Status = statusRoot.lookupType("google.rpc.Status");
  const s = Status.toObject(Status.decode(buf), { defaults: true }) as {
    code: number;
    message: string;
    details: { type_url: string; value: Uint8Array }[];
  };
  return {
    code: s.code,
    message: s.message,
    details: s.details.map((d) => {
      const typeName = d.type_url.replace("type.googleapis.com/", "");
      const T = statusRoot.lookupType(typeName);
      return { typeUrl: d.type_url, decoded: T.toObject(T.decode(d.value), { defaults: true }) };
    }),
  };
}

export class SocketClient {
  private readonly clients = new Map<string, grpc.Client>();

  constructor(private readonly socket: string) {}

  private client(service: string): grpc.Client {
    let c = this.clients.get(service);
    if (!c) {
      const Ctor = loaded.dapr.proto.components.v1[service]!;
      c = new Ctor(`unix:${this.socket}`, grpc.credentials.createInsecure());
      this.clients.set(service, c);
    }
    return c;
  }

  /** Calls `service/rpc` with the given headers; resolves with the response or rejects with a CallError. */
  call<T = Record<string, unknown>>(
    service: string,
    rpc: string,
    req: unknown,
    headers: Record<string, string | string[]> | string,
  ): Promise<T> {
    const md = new grpc.Metadata();
    const h = typeof headers === "string" ? { "x-component-instance": headers } : headers;
    for (const [k, v] of Object.entries(h)) for (const one of Array.isArray(v) ? v : [v]) md.add(k, one);
    const fn = (this.client(service) as unknown as Record<string, Unary>)[rpc]!.bind(this.client(service));
    return new Promise((resolve, reject) =>
      fn(req, md, (err, res) => {
        if (!err) return resolve(res as T);
        const bin = err.metadata?.get("grpc-status-details-bin")[0];
        const out: CallError = { code: err.code, details: err.details };
        const status = bin instanceof Buffer ? decodeStatusDetails(bin) : undefined;
        if (status) out.status = status;
        reject(out);
      }),
    );
  }

  close(): void {
    for (const c of this.clients.values()) c.close();
    this.clients.clear();
  }
}
