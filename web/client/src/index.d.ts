import type { Client } from "openapi-fetch";
import type { paths, components } from "./schema";

export type { paths, components };
export type Schemas = components["schemas"];

export declare class ProblemError extends Error {
  status: number;
  type: string;
  detail: string;
  problem: Schemas["Problem"] | undefined;
  retryAfter: number | undefined;
}

export interface TradebalOptions {
  baseUrl?: string;
  token?: string | (() => string | Promise<string>);
  fetch?: typeof fetch;
}

export type TradebalClient = Client<paths> & {
  call(method: "GET" | "POST" | "PUT" | "DELETE", path: keyof paths, init?: unknown): Promise<any>;
};

export declare function createTradebal(options?: TradebalOptions): TradebalClient;
