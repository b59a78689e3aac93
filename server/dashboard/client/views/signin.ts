/**
 * @module Sign-in with an API token (printed by `rampart server user add`).
 */
import { api, setToken, type Me } from '../api.js';
import { html, mount } from '../dom.js';

export function renderSignin(main: HTMLElement, message?: string): void {
  mount(
    main,
    html`<section class="signin" aria-labelledby="signin-title">
      <h1 id="signin-title">Sign in to Rampart</h1>
      <p class="muted">Paste the API token an administrator gave you (<code>rampart server user add NAME --role ROLE</code> prints one).</p>
      ${message ? html`<div class="alert" role="alert">${message}</div>` : ''}
      <form id="signin-form">
        <label for="token">API token</label>
        <input id="token" name="token" type="password" autocomplete="off" required>
        <button type="submit">Sign in</button>
      </form>
    </section>`,
  );
  const input = main.querySelector<HTMLInputElement>('#token')!;
  input.focus();
  main.querySelector<HTMLFormElement>('#signin-form')!.addEventListener('submit', async (e) => {
    e.preventDefault();
    setToken(input.value.trim());
    try {
      await api<Me>('/api/v1/me');
      location.hash = '#/';
      window.dispatchEvent(new Event('rampart:signed-in'));
    } catch {
      setToken(null);
      renderSignin(main, 'That token was not accepted. Check it was copied whole, and that it has not been revoked.');
    }
  });
}
