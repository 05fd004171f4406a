// The theme lives in a cookie so the server renders the page in it from the first byte: no flash of the other theme,
// and no storage read before the page is interactive. Not HttpOnly: this script writes it; it holds nothing secret.
export function save(dark) {
    document.cookie = `transferhub-theme=${dark ? 'dark' : 'light'}; path=/; max-age=31536000; samesite=lax`;
}
