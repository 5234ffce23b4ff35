import { ApiProblem } from '../api/client';

/** An error as the user should read it: the hub's detail and its stable code. */
export function ErrorNote({ error }: { error: unknown }) {
  const message = error instanceof Error ? error.message : String(error);
  const code = error instanceof ApiProblem ? error.code : undefined;
  return (
    <div className="banner banner-error" role="alert">
      <span aria-hidden="true">✗ </span>
      {message}
      {code ? <code className="code-chip">{code}</code> : null}
    </div>
  );
}
