/**
 * Moving through the timeline by keyboard: with the message list or a
 * message focused, ↑/↓ focus the previous/next message (Home/End the
 * first/last loaded one). A focused message shows its actions (pin, reply,
 * react, edit…), which Tab then reaches: every action is one arrow and a Tab
 * away, without a tab stop per message.
 */
export default class TimelineKeys {
  static attach(scroller) {
    scroller.addEventListener('keydown', (e) => {
      if (e.altKey || e.ctrlKey || e.metaKey || e.shiftKey) return;
      const onList = e.target === scroller;
      const current = e.target.classList?.contains('msg') ? e.target : null;
      if (!onList && !current) return;
      const messages = [...scroller.querySelectorAll('.msg')];
      if (messages.length === 0) return;
      let next = null;
      if (e.key === 'Home') next = messages[0];
      else if (e.key === 'End') next = messages.at(-1);
      else if (e.key === 'ArrowUp') next = current ? messages[messages.indexOf(current) - 1] : TimelineKeys.#lastVisible(scroller, messages);
      else if (e.key === 'ArrowDown') next = current ? messages[messages.indexOf(current) + 1] : TimelineKeys.#lastVisible(scroller, messages);
      else return;
      e.preventDefault();
      if (!next) return;
      next.focus({ preventScroll: true });
      next.scrollIntoView({ block: 'nearest' });
    });
  }

  /** The lowest message at least partly in view. */
  static #lastVisible(scroller, messages) {
    const bottom = scroller.getBoundingClientRect().bottom;
    for (let i = messages.length - 1; i >= 0; i--) {
      if (messages[i].getBoundingClientRect().top < bottom) return messages[i];
    }
    return messages.at(-1);
  }
}
