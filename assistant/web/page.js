() => {
  // The page's one script. (1) Citations as links: a [n] in an answer or in its warning opens
  // that answer's source card n (the quote highlighted in its passage, with section,
  // provenance and links), scrolls it into view and moves the keyboard focus to it. Cards live
  // in the same .ans block as the marker, so each answer's [1] opens its own source.
  // (2) "Copy as Markdown" / "Copy as text" copy the answer's hidden text. (3) A new answer
  // is scrolled to its first line, not its end, when it starts and when it is done (the
  // chat's own autoscroll, to the end, is off). (4) The audit's count buttons filter: one
  // sets the "Show verdict" choice, whose change redraws the table.
  const openCard = (cite) => {
    const n = (cite.getAttribute("href") || "").replace("#source-", "");
    const box = cite.closest(".ans");
    const card = /^\d+$/.test(n) && box && box.querySelector(`details.src-card.src-${n}`);
    if (!card) return false;
    card.open = true;
    card.classList.add("src-flash");
    setTimeout(() => card.classList.remove("src-flash"), 1600);
    const summary = card.querySelector("summary");
    if (summary) summary.focus({ preventScroll: true });
    card.scrollIntoView({ block: "nearest" });
    return true;
  };

  const copy = async (link, kind) => {
    const box = link.closest(".ans");
    const source = box && box.querySelector(`pre.ans-copy-${kind}`);
    if (!source) return false;
    const text = source.textContent;
    try {
      await navigator.clipboard.writeText(text);
    } catch (err) {
      const area = document.createElement("textarea");
      area.value = text;
      document.body.appendChild(area);
      area.select();
      document.execCommand("copy");
      area.remove();
    }
    const label = link.textContent;
    link.textContent = "Copied";
    setTimeout(() => { link.textContent = label; }, 1500);
    return true;
  };

  const filterBy = (chip) => {
    const value = chip.getAttribute("data-verdict");
    const radio = document.querySelector(`#audit-filter input[type="radio"][value="${value}"]`);
    if (!radio) return false;
    radio.click();
    return true;
  };

  document.addEventListener(
    "click",
    (event) => {
      const target = event.target.closest ? event.target : null;
      if (!target) return;
      const cite = target.closest("a.cite");
      const md = target.closest("a.copy-md");
      const text = target.closest("a.copy-text");
      const chip = target.closest("button.count-chip");
      let handled = false;
      if (chip) handled = filterBy(chip);
      else if (cite) handled = openCard(cite);
      else if (md) handled = copy(md, "md");
      else if (text) handled = copy(text, "text");
      if (handled) {
        event.preventDefault();
        event.stopPropagation();
      }
    },
    true,
  );

  const scroller = (el) => {
    for (let p = el.parentElement; p; p = p.parentElement) {
      const style = getComputedStyle(p);
      if (/(auto|scroll)/.test(style.overflowY) && p.scrollHeight > p.clientHeight) return p;
    }
    return null;
  };
  const seen = new WeakSet();
  const toStart = () => {
    const answers = document.querySelectorAll("#chat .ans-streaming, #chat .ans-final");
    const last = answers[answers.length - 1];
    if (!last || seen.has(last)) return;
    seen.add(last);
    setTimeout(() => {
      const panel = scroller(last);
      if (!panel) return;
      const offset = last.getBoundingClientRect().top - panel.getBoundingClientRect().top;
      panel.scrollTop += offset - 8;
    }, 80);
  };
  new MutationObserver(toStart).observe(document.body, { childList: true, subtree: true });
}
