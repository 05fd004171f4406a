// An image pasted anywhere on the page (not into a text field) or dropped on the zone goes to the zone's file input, as
// if chosen in the file picker: Blazor's InputFile reads it from there. A file, not inline script, for the CSP.
export function acceptImages(zone) {
    const give = files => {
        const input = zone.querySelector('input[type=file]');
        const image = [...(files ?? [])].find(f => f.type.startsWith('image/'));
        if (!input || !image) {
            return false;
        }
        const transfer = new DataTransfer();
        transfer.items.add(image);
        input.files = transfer.files;
        input.dispatchEvent(new Event('change', { bubbles: true }));
        return true;
    };
    const paste = e => {
        if (e.target instanceof Element && e.target.closest('input, textarea, [contenteditable]')) {
            return;
        }
        if (give(e.clipboardData?.files)) {
            e.preventDefault();
        }
    };
    const over = e => {
        if ([...(e.dataTransfer?.types ?? [])].includes('Files')) {
            e.preventDefault();
            zone.classList.add('drop-ready');
        }
    };
    const leave = () => zone.classList.remove('drop-ready');
    const drop = e => {
        leave();
        if (give(e.dataTransfer?.files)) {
            e.preventDefault();
        }
    };
    document.addEventListener('paste', paste);
    zone.addEventListener('dragover', over);
    zone.addEventListener('dragleave', leave);
    zone.addEventListener('drop', drop);
    return {
        dispose: () => {
            document.removeEventListener('paste', paste);
            zone.removeEventListener('dragover', over);
            zone.removeEventListener('dragleave', leave);
            zone.removeEventListener('drop', drop);
        },
    };
}
