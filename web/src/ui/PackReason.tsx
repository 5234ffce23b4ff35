import { useLayoutEffect, useRef, useState } from 'react';
import { formatPackReason } from '../api/display';
import type { PackView } from '../api/types';

/**
 * Why a pack is not green, as the CLI says it (one formatter, src/status/pack-reason.ts): the condition type
 * once, the cause once, the object and the message. It wraps in the row, up to two lines; a longer one ends
 * in a "more" button in place that shows the rest, so the image name of a pull error is never cut off.
 */
export function PackReason({ pack }: { pack: PackView }) {
  const text = formatPackReason(pack);
  const box = useRef<HTMLSpanElement>(null);
  const [open, setOpen] = useState(false);
  const [clipped, setClipped] = useState(false);
  useLayoutEffect(() => {
    const el = box.current;
    if (el === null || open) return;
    const measure = () => {
      setClipped(el.scrollHeight > el.clientHeight + 1);
    };
    measure();
    const observer = typeof ResizeObserver === 'undefined' ? undefined : new ResizeObserver(measure);
    observer?.observe(el);
    return () => {
      observer?.disconnect();
    };
  }, [text, open]);
  return (
    <span className="reason">
      <span ref={box} className={`message message-${pack.phase}${open ? '' : ' clamp-2'}`}>
        {text}
      </span>
      {clipped || open ? (
        <button
          type="button"
          className="link-button reason-more"
          aria-expanded={open}
          onClick={() => {
            setOpen(!open);
          }}
        >
          {open ? 'less' : 'more'}
        </button>
      ) : null}
    </span>
  );
}
