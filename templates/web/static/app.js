// Small touches for browsers with JavaScript; every page works without it.
// A form marked data-sibuk shows its "sedang diproses" line and is not sent twice.
document.addEventListener("submit", (event) => {
  const form = event.target;
  if (!form.matches("form[data-sibuk]")) return;
  if (form.dataset.terkirim) { event.preventDefault(); return; }
  form.dataset.terkirim = "1";
  const busy = form.querySelector(".sibuk");
  if (busy) busy.hidden = false;
  window.setTimeout(() => {
    for (const button of form.querySelectorAll("button")) button.disabled = true;
  }, 0);
});
// The DIP list of a step narrows as the officer types in its search box.
document.addEventListener("input", (event) => {
  const box = event.target;
  if (!box.matches("input[data-saring]")) return;
  const words = box.value.toLowerCase().split(/\s+/).filter(Boolean);
  for (const row of document.querySelectorAll(box.dataset.saring)) {
    const text = row.textContent.toLowerCase();
    row.hidden = !words.every((word) => text.includes(word));
  }
});
