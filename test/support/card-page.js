/*
 * Runs inside the headless Chromium page, after Microsoft's Adaptive Cards SDK (its UMD bundle,
 * window.AdaptiveCards). Plain browser JavaScript on purpose: jest's transform never touches it, so
 * what runs in the page is exactly this file. card-renderer.ts drives it through window.cardSheet.
 */
(function () {
  'use strict';
  const AC = window.AdaptiveCards;

  const escapeHtml = (s) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

  /**
   * TextBlock Markdown as Teams renders it: bold, italic, bulleted and numbered lists, links — and
   * nothing else. A code span's backticks, a heading's # or a quote's > stay on screen as typed, which
   * is what the text checks then find.
   */
  function teamsMarkdown(text) {
    const inline = (s) =>
      escapeHtml(s)
        .replace(/\[([^\]]+)\]\((https?:[^)\s]+)\)/g, '<a href="$2">$1</a>')
        .replace(/\*\*(?=\S)([^*]*?\S)\*\*/g, '<strong>$1</strong>')
        .replace(/(^|[^*\w])[*_](?=\S)([^*_]*?\S)[*_](?=$|[^*\w])/g, '$1<em>$2</em>');
    const lines = text.split(/\r?\n/);
    const out = [];
    let list;
    for (const line of lines) {
      const bullet = /^\s*[-*]\s+(.*)$/.exec(line);
      const numbered = /^\s*\d+\.\s+(.*)$/.exec(line);
      const kind = bullet ? 'ul' : numbered ? 'ol' : undefined;
      if (list && list !== kind) {
        out.push(`</${list}>`);
        list = undefined;
      }
      if (kind) {
        if (!list) out.push(`<${kind}>`);
        list = kind;
        out.push(`<li>${inline((bullet || numbered)[1])}</li>`);
      } else {
        out.push(`<p>${inline(line)}</p>`);
      }
    }
    if (list) out.push(`</${list}>`);
    return out.join('');
  }

  AC.AdaptiveCard.onProcessMarkdown = (text, result) => {
    result.outputHtml = teamsMarkdown(text);
    result.didProcess = true;
  };

  const eventText = (e) => `${AC.ValidationEvent[e.event]}: ${e.message}`;

  function describe(node) {
    const cls = (node.className && typeof node.className === 'string' ? node.className : '').split(' ').filter(Boolean)[0];
    const text = (node.innerText || node.value || '').replace(/\s+/g, ' ').slice(0, 60);
    return `${node.tagName.toLowerCase()}${cls ? '.' + cls : ''} "${text}"`;
  }

  /** What a reader could not see: text cut off instead of wrapping, or anything outside the card's edges. */
  function layoutProblems(cardElement) {
    const problems = [];
    const edge = cardElement.getBoundingClientRect();
    for (const node of cardElement.querySelectorAll('*')) {
      const box = node.getBoundingClientRect();
      if (box.width === 0 && box.height === 0) continue;
      if (box.right > edge.right + 0.5 || box.left < edge.left - 0.5) {
        problems.push(`${describe(node)} sticks out of the card by ${Math.round(Math.max(box.right - edge.right, edge.left - box.left))}px`);
        continue;
      }
      // An input's own value may scroll; everything else that is wider than its box is clipped.
      if (/^(INPUT|SELECT|TEXTAREA|OPTION)$/.test(node.tagName)) continue;
      const style = getComputedStyle(node);
      const clips = style.overflowX !== 'visible' || style.textOverflow === 'ellipsis';
      if (clips && node.scrollWidth > node.clientWidth + 1 && node.innerText.trim() !== '') {
        problems.push(`${describe(node)} is cut off (${node.scrollWidth}px of text in ${node.clientWidth}px)`);
      }
    }
    return problems;
  }

  /**
   * Parses the card with a 1.5 target, validates it and renders it into `host` at `width` pixels.
   * Returns what the SDK reported and what a reader would see.
   */
  function cardReview(payload, host, width) {
    const context = new AC.SerializationContext(AC.Version.v1_5);
    const card = new AC.AdaptiveCard();
    card.parse(payload, context);
    const events = [];
    for (let i = 0; i < context.eventCount; i++) events.push(eventText(context.getEventAt(i)));
    for (const e of card.validateProperties().validationEvents) events.push(eventText(e));

    const inputs = card.getAllInputs(true).map((input) => ({
      id: input.id,
      type: input.getJsonTypeName(),
      label: input.label || '',
      isRequired: Boolean(input.isRequired),
      errorMessage: input.errorMessage || '',
    }));

    const frame = document.createElement('div');
    frame.className = 'frame';
    frame.style.width = `${width}px`;
    host.appendChild(frame);
    const element = card.render();
    if (!element) return { events: [...events, 'Other: the SDK rendered nothing'], inputs, layout: [], text: '', version: String(card.version) };
    frame.appendChild(element);
    return { events, inputs, layout: layoutProblems(element), text: element.innerText, version: card.version.toString() };
  }

  /** The contact sheet: one section per sample, the card at each width side by side, its problems below. */
  window.cardSheet = {
    add(name, payload, widths) {
      const section = document.createElement('section');
      section.dataset.sample = name;
      const heading = document.createElement('h2');
      heading.textContent = name;
      const row = document.createElement('div');
      row.className = 'row';
      section.append(heading, row);
      document.getElementById('sheet').appendChild(section);
      return widths.map((width) => cardReview(payload, row, width));
    },
    showProblems(name, problems) {
      if (problems.length === 0) return;
      const list = document.createElement('ul');
      list.className = 'problems';
      for (const p of problems) list.appendChild(Object.assign(document.createElement('li'), { textContent: p }));
      document.querySelector(`section[data-sample="${CSS.escape(name)}"]`).appendChild(list);
    },
    /** The page as a reviewer's file: the rendered cards and styles, without the scripts. */
    html() {
      const copy = document.documentElement.cloneNode(true);
      copy.querySelectorAll('script').forEach((s) => s.remove());
      return `<!doctype html>\n${copy.outerHTML}`;
    },
  };
})();
