/** User-controlled words in plain text messages cannot become Markdown formatting or links. */
import { escapeMarkdown } from '../../bot/teams/markdown';

it('escapes every character Teams Markdown gives a meaning', () => {
  expect(escapeMarkdown('**Admin** [click](https://evil.example) _x_ `y` # <b>')).toBe(
    '\\*\\*Admin\\*\\* \\[click\\]\\(https://evil\\.example\\) \\_x\\_ \\`y\\` \\# \\<b\\>',
  );
  expect(escapeMarkdown('Alex Wilber')).toBe('Alex Wilber');
});
