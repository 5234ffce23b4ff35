// For tests that a costly request leaves the hub's event loop free: how long the loop went without turning.

/** The longest the event loop went without running a 10 ms timer, from now until stop(). */
export function loopStallProbe(): { stop: () => number } {
  let last = performance.now();
  let longest = 0;
  const tick = () => {
    const now = performance.now();
    longest = Math.max(longest, now - last);
    last = now;
  };
  const timer = setInterval(tick, 10);
  return {
    stop: () => {
      tick();
      clearInterval(timer);
      return longest;
    },
  };
}
