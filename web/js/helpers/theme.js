const KEY = 'hearth.theme';

/** Light / dark: follows the system unless the user picked one. */
export default class Theme {
  static get choice() {
    const v = localStorage.getItem(KEY);
    return v === 'light' || v === 'dark' ? v : 'system';
  }

  static get effective() {
    if (Theme.choice !== 'system') return Theme.choice;
    return matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light';
  }

  static apply() {
    const choice = Theme.choice;
    if (choice === 'system') document.documentElement.removeAttribute('data-theme');
    else document.documentElement.dataset.theme = choice;
  }

  static set(choice) {
    if (choice === 'system') localStorage.removeItem(KEY);
    else localStorage.setItem(KEY, choice);
    Theme.apply();
  }

  static toggle() {
    Theme.set(Theme.effective === 'dark' ? 'light' : 'dark');
  }
}
