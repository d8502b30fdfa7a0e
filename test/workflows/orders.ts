/**
 * The workflows the e2e test runs on state.keyless through daprd, written as a Dapr user writes them with
 * @dapr/dapr's workflow runtime. Every output is a pure function of the input, so the test can say exactly
 * what each instance must return, however often daprd replays it or re-runs an activity after a crash.
 */
import type { Task, WorkflowActivityContext, WorkflowContext } from "@dapr/dapr";

export const CITIES = ["Tokyo", "Seattle", "London"] as const;
export const FAN_OUT = 5;
export const APPROVAL_EVENT = "approve";
export const NEVER_EVENT = "never";

export interface OrderInput {
  id: number;
  /** Seconds the durable timer waits after the approval. */
  timerSeconds: number;
}

export interface OrderOutput {
  greetings: string[];
  squares: number;
  approvedBy: string;
  timerFired: boolean;
}

/** Activity runs by name, counted so the test can report how many a crash made daprd run again. */
export const activityRuns = new Map<string, number>();
const counted = (name: string) => activityRuns.set(name, (activityRuns.get(name) ?? 0) + 1);

export function greet(_ctx: WorkflowActivityContext, name: string): string {
  counted("greet");
  return `Hello, ${name}!`;
}

export function square(_ctx: WorkflowActivityContext, n: number): number {
  counted("square");
  return n * n;
}

/**
 * Sequential activities, a fan-out/fan-in of five, an external event and a durable timer. Async generators:
 * the SDK's executor runs only those (a plain generator "completes" at once with no tasks).
 */
export async function* order(
  ctx: WorkflowContext,
  input: OrderInput,
): AsyncGenerator<Task<unknown>, OrderOutput, never> {
  const greetings: string[] = [];
  for (const city of CITIES) greetings.push(yield ctx.callActivity(greet, `${city} ${input.id}`));
  const fan = Array.from({ length: FAN_OUT }, (_, i) => ctx.callActivity(square, input.id + i));
  const squares: number[] = yield ctx.whenAll(fan);
  const approvedBy: string = yield ctx.waitForExternalEvent(APPROVAL_EVENT);
  yield ctx.createTimer(input.timerSeconds);
  return { greetings, squares: squares.reduce((a, b) => a + b, 0), approvedBy, timerFired: true };
}

/** Waits for an event nobody sends: it ends only when terminated. */
export async function* stuck(ctx: WorkflowContext): AsyncGenerator<Task<unknown>, string, never> {
  yield ctx.waitForExternalEvent(NEVER_EVENT);
  return "unreachable";
}

/** What `order` must return for an input and the approver the test sends. */
export function expectedOrder(input: OrderInput, approvedBy: string): OrderOutput {
  const squares = Array.from({ length: FAN_OUT }, (_, i) => (input.id + i) ** 2).reduce((a, b) => a + b, 0);
  return { greetings: CITIES.map((c) => `Hello, ${c} ${input.id}!`), squares, approvedBy, timerFired: true };
}

export const RESUME_EVENT = "go";

/** Counts down by continue-as-new, so each round starts a fresh history; returns the rounds it ran. */
export async function* countdown(
  ctx: WorkflowContext,
  input: { left: number; rounds: number },
): AsyncGenerator<Task<unknown>, number, never> {
  if (input.left === 0) return input.rounds;
  yield ctx.callActivity(square, input.left);
  ctx.continueAsNew({ left: input.left - 1, rounds: input.rounds + 1 }, false);
  return input.rounds;
}

/** A parent that runs two child workflows and waits for an event, so a suspend can hold it. */
export async function* family(
  ctx: WorkflowContext,
  input: { id: number },
): AsyncGenerator<Task<unknown>, { children: number[]; resumedWith: string }, never> {
  const children: number[] = yield ctx.whenAll([
    ctx.callChildWorkflow(countdown, { left: 2, rounds: 0 }, `child-a-${input.id}`),
    ctx.callChildWorkflow(countdown, { left: 3, rounds: 0 }, `child-b-${input.id}`),
  ]);
  const resumedWith: string = yield ctx.waitForExternalEvent(RESUME_EVENT);
  return { children, resumedWith };
}
