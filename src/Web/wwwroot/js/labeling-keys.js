// Labeling shortcuts whatever was clicked: a key pressed while focus is elsewhere on the page (the body after a
// snackbar's x closed, a button, a switch) is handed to the labeling surface. Typing in a text field, a dialog or
// an open menu is left alone. A file (not inline script) so the Content-Security-Policy allows it.
const typing = 'input:not([type=checkbox]):not([type=radio]):not([type=button]), textarea, select, [contenteditable], .mud-dialog, .mud-popover-open';

export function keepKeys(surface) {
    const forward = e => {
        if (!surface.isConnected || surface.contains(e.target) || e.ctrlKey || e.altKey || e.metaKey) {
            return;
        }
        if (e.target instanceof Element && e.target.closest(typing)) {
            return;
        }
        e.preventDefault();
        e.stopPropagation();
        surface.focus();
        surface.dispatchEvent(new KeyboardEvent('keydown', { key: e.key, code: e.code, shiftKey: e.shiftKey, bubbles: true }));
    };
    document.addEventListener('keydown', forward, true);
    return { dispose: () => document.removeEventListener('keydown', forward, true) };
}
