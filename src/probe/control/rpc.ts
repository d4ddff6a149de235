/**
 * The control channel's RPC framing (wire §4.3): Go `net/rpc` over a JSON codec where every message
 * is two websocket text frames, a header (`Request`/`Response`) then a body (`Value`). The app is
 * the RPC client, the probe the server. This module translates frames ↔ `ControlRequest` /
 * `ControlResponse` and validates what arrives.
 */
import type { ControlRequest, ControlResponse } from '../types.js';

/** The header of an incoming call, or a reason it is unusable. */
export type IncomingHeader = { ok: true; seq: number; method: string } | { ok: false; reason: string };

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Parses a header frame `{"Request":{"ServiceMethod","Seq"},…}`. */
export function parseHeaderFrame(text: string): IncomingHeader {
  let msg: unknown;
  try {
    msg = JSON.parse(text);
  } catch {
    return { ok: false, reason: 'frame is not JSON' };
  }
  if (!isObject(msg) || !isObject(msg.Request)) return { ok: false, reason: 'frame has no Request' };
  const { Seq: seq, ServiceMethod: method } = msg.Request;
  if (typeof seq !== 'number' || !Number.isSafeInteger(seq) || typeof method !== 'string') {
    return { ok: false, reason: 'malformed Request header' };
  }
  return { ok: true, seq, method };
}

/** Parses a body frame's `Value` as an `xfer.Request`; `appId` is the connection's app. */
export function parseRequestBody(text: string, appId: string): ControlRequest | string {
  let msg: unknown;
  try {
    msg = JSON.parse(text);
  } catch {
    return 'body frame is not JSON';
  }
  if (!isObject(msg) || !isObject(msg.Value)) return 'body frame has no Value object';
  const v = msg.Value;
  if (typeof v.NodeID !== 'string' || typeof v.Control !== 'string') return 'request lacks NodeID or Control';
  const args: Record<string, string> = {};
  if (v.ControlArgs !== null && v.ControlArgs !== undefined) {
    if (!isObject(v.ControlArgs)) return 'ControlArgs is not an object';
    for (const [k, val] of Object.entries(v.ControlArgs)) {
      if (typeof val !== 'string') return `ControlArgs.${k} is not a string`;
      args[k] = val;
    }
  }
  return { appId, nodeId: v.NodeID, control: v.Control, args };
}

/** The response payload in Scope's JSON field names (`xfer.Response`, all omitempty). */
export function responseToWire(r: ControlResponse): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (r.value !== undefined && r.value !== null) out.value = r.value;
  if (r.error) out.error = r.error;
  if (r.pipe) out.pipe = r.pipe;
  if (r.rawTty) out.raw_tty = true;
  if (r.resizeTtyControl) out.resize_tty_control = r.resizeTtyControl;
  if (r.removedNode) out.removedNode = r.removedNode;
  return out;
}

/** The two frames answering call `seq`. `rpcError` non-empty = the RPC layer failed (body `{}`). */
export function responseFrames(seq: number, method: string, response: ControlResponse, rpcError = ''): [string, string] {
  return [
    JSON.stringify({ Request: null, Response: { ServiceMethod: method, Seq: seq, Error: rpcError }, Value: null }),
    JSON.stringify({ Request: null, Response: null, Value: rpcError ? {} : responseToWire(response) }),
  ];
}
