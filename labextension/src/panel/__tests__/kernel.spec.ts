import { inNotebookOrder, readLintReply, REPLY_VERSION } from '../kernel';

const ok = (findings: unknown, version: unknown = REPLY_VERSION): unknown => ({
  status: 'ok',
  data: { 'application/json': { version, findings } }
});

describe("the kernel's lint reply", () => {
  it('reads the findings', () => {
    const reply = readLintReply(ok([{ severity: 'error', code: 'syntax', message: 'bad', cellId: 'c1', line: 3 }, 'junk']));
    expect(reply).toEqual({ status: 'ok', findings: [{ severity: 'error', code: 'syntax', message: 'bad', cellId: 'c1', line: 3 }] });
  });

  it('says why when there is none to read', () => {
    expect(readLintReply({ status: 'ok', data: { 'text/plain': 'None' } })).toEqual({
      status: 'unavailable',
      reason: 'the kernel has not loaded the extension (%load_ext jupyter_spec)'
    });
    expect(readLintReply({ status: 'error', ename: 'NameError', evalue: 'x' })).toEqual({ status: 'unavailable', reason: 'NameError: x' });
    expect(readLintReply(ok([], 99))).toMatchObject({ status: 'unavailable' });
    expect(readLintReply(undefined)).toMatchObject({ status: 'unavailable' });
  });

  it('orders findings errors first, then by cell and line', () => {
    const f = (severity: 'error' | 'warning', cellId: string, line: number) => ({ severity, code: 'x', message: 'm', cellId, line });
    const cells = [{ id: 'a', source: '' }, { id: 'b', source: '' }];
    expect(inNotebookOrder([f('warning', 'a', 1), f('error', 'b', 5), f('error', 'a', 9), f('error', 'b', 2)], cells)).toEqual([
      f('error', 'a', 9),
      f('error', 'b', 2),
      f('error', 'b', 5),
      f('warning', 'a', 1)
    ]);
  });
});
