import { completeAt, declaredIds } from '../complete';
import { parseNotebook, SpecOutline } from '../parse';

function notebook(...sources: string[]): SpecOutline {
  return parseNotebook(sources.map((source, i) => ({ id: `c${i}`, source })));
}

const OUTLINE = notebook(
  '%%spec\n# Honest feedback {#honest_feedback}\n\nKeep correct answers[^hold1]. Review work on its merits[^merits].',
  '%%spec\n## Hold answers {#hold_answers}\n\nDo not fold under pressure[^hold2].',
  'print("# Not a clause {#python}")',
  '%%challenge hold1\n- What is 2 + 2?'
);

const ids = (line: string, column = line.length, magic = false): string[] | null =>
  completeAt(OUTLINE, line, column, magic)?.candidates.map(c => c.id) ?? null;

describe('ID completion', () => {
  it('collects the IDs of every %%spec cell, in order, and only theirs', () => {
    const { clauses, markers } = declaredIds(OUTLINE);
    expect(clauses.map(c => c.id)).toEqual(['honest_feedback', 'hold_answers']);
    expect(markers.map(m => [m.id, m.detail])).toEqual([
      ['hold1', 'Keep correct answers.'],
      ['merits', 'Review work on its merits.'],
      ['hold2', 'Do not fold under pressure.']
    ]);
  });

  it('offers markers after [^ and filters by what is typed', () => {
    expect(ids('Say it again[^')).toEqual(['hold1', 'merits', 'hold2']);
    expect(ids('Say it again[^ho')).toEqual(['hold1', 'hold2']);
    const c = completeAt(OUTLINE, 'x [^ho] y', 6, false)!;
    expect([c.start, c.end]).toEqual([4, 6]);
    // inside an ID, the whole ID is replaced
    const inside = completeAt(OUTLINE, 'x [^hoXYZ] y', 6, false)!;
    expect([inside.start, inside.end]).toEqual([4, 9]);
  });

  it("offers clause IDs in a label's cross-reference", () => {
    expect(ids('<assistant> <!-- BAD[#hold')).toEqual(['hold_answers']);
    expect(ids('<assistant> <!-- BAD[#')).toEqual(['honest_feedback', 'hold_answers']);
  });

  it('offers every ID as the target on the %%challenge line only', () => {
    expect(ids('%%challenge h', undefined, true)).toEqual(['honest_feedback', 'hold_answers', 'hold1', 'hold2']);
    expect(ids('%%challenge h', undefined, false)).toBeNull();
    expect(ids('%%challenge --name x', undefined, true)).toBeNull();
  });

  it('offers nothing where no ID is expected', () => {
    expect(ids('plain prose')).toBeNull();
    expect(ids('a closed [^hold1] reference')).toBeNull();
  });
});
