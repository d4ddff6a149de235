/**
 * The probe's control registry and dispatcher (wire §4.3): reporters register handlers by
 * control id; requests from apps are routed to them. A failing handler becomes `{error}`, an
 * unknown control Scope's `Control "<id>" not recognised`.
 */
import { errorFields } from '../../common/log.js';
import type { ControlHandler, ControlRegistry, ControlRequest, ControlResponse } from '../types.js';

export class ControlDispatcher implements ControlRegistry {
  private readonly handlers = new Map<string, ControlHandler>();

  register(controlId: string, handler: ControlHandler): void {
    this.handlers.set(controlId, handler);
  }

  unregister(controlId: string): void {
    this.handlers.delete(controlId);
  }

  /** Ids of registered controls (sorted). */
  ids(): string[] {
    return [...this.handlers.keys()].sort();
  }

  /** Runs the handler for `req.control`; never rejects. */
  async handle(req: ControlRequest): Promise<ControlResponse> {
    const handler = this.handlers.get(req.control);
    if (!handler) return { error: `Control "${req.control}" not recognised` };
    try {
      return await handler(req);
    } catch (err) {
      return { error: errorFields(err).message };
    }
  }
}
