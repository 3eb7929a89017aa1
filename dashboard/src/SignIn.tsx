import { type FormEvent, useId, useState } from 'react';
import { tokenFromPasted } from './session.ts';

/** Asks once for a token; it is kept in this browser until the user signs out. */
export function SignIn({
  onToken,
  notice,
}: {
  onToken: (token: string) => void;
  notice: string | null;
}) {
  const fieldId = useId();
  const hintId = useId();
  const [text, setText] = useState('');
  const [error, setError] = useState<string | null>(null);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const token = tokenFromPasted(text);
    if (!token) {
      setError(
        'No token found: paste the line npm start prints, "Bearer <token>" or the token itself.',
      );
      return;
    }
    onToken(token);
  };

  return (
    <main className="sign-in">
      <form className="panel" onSubmit={submit}>
        <h1>Converge dashboard</h1>
        {notice ? (
          <p role="alert" className="error">
            {notice}
          </p>
        ) : null}
        <label htmlFor={fieldId}>Access token</label>
        <textarea
          id={fieldId}
          aria-describedby={hintId}
          rows={4}
          spellCheck={false}
          autoComplete="off"
          value={text}
          onChange={(event) => setText(event.target.value)}
        />
        <p id={hintId} className="muted">
          Paste the <code>{'{ "Authorization": "Bearer …" }'}</code> line <code>npm start</code>{' '}
          prints, or a token from <code>npm run token -- &lt;userId&gt;</code>. It stays in this
          browser only.
        </p>
        {error ? (
          <p role="alert" className="error">
            {error}
          </p>
        ) : null}
        <button type="submit" className="primary">
          Sign in
        </button>
      </form>
    </main>
  );
}
