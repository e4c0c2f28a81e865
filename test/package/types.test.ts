// The value type follows the option name. Checked by `tsc -p test` (npm run lint):
// each @ts-expect-error line must be a compile error, or tsc fails.
import { describe, expectTypeOf, it } from 'vitest';
import sockopt, { getsockopt, setsockopt, type OptionName, type ReadableOption, type WritableOption } from '../../src/index';

declare const sock: import('node:net').Socket;

describe('types', () => {
  it('getsockopt returns the type of the option', () => {
    const guard = <T>(fn: () => T) => fn; // never called: the types are the test
    expectTypeOf(guard(() => getsockopt(sock, 'SO_RCVBUF'))).returns.toEqualTypeOf<number>();
    expectTypeOf(guard(() => getsockopt(sock, 'TCP_NODELAY'))).returns.toEqualTypeOf<boolean>();
    expectTypeOf(guard(() => getsockopt(sock, 'SO_RCVTIMEO'))).returns.toEqualTypeOf<number | null>();
    expectTypeOf(guard(() => getsockopt(sock, 'SO_LINGER'))).returns.toEqualTypeOf<number | null>();
    expectTypeOf(guard(() => getsockopt(sock, 'TCP_CONGESTION'))).returns.toEqualTypeOf<string>();
    expectTypeOf(guard(() => getsockopt(sock, 'SO_COOKIE'))).returns.toEqualTypeOf<bigint>();
    expectTypeOf(guard(() => getsockopt(sock, 1, 8))).returns.toEqualTypeOf<number>();
    expectTypeOf(guard(() => getsockopt(sock, 1, 8, 4))).returns.toEqualTypeOf<Buffer>();
    expectTypeOf(guard(() => sockopt(sock).get('SO_SNDBUF'))).returns.toEqualTypeOf<number>();
  });

  it('read-only and write-only options are excluded from the wrong call', () => {
    expectTypeOf<'SO_ERROR'>().toExtend<ReadableOption>();
    expectTypeOf<'SO_ERROR'>().not.toExtend<WritableOption>();
    expectTypeOf<'SO_RCVBUFFORCE'>().not.toExtend<ReadableOption>();
    expectTypeOf<'TCP_NODELAY'>().toExtend<OptionName>();
  });

  it('wrong value types and unknown names do not compile', () => {
    const never = (fn: () => void) => fn; // never called
    never(() => {
      // @ts-expect-error TCP_NODELAY takes a boolean
      setsockopt(sock, 'TCP_NODELAY', 5);
      // @ts-expect-error SO_ERROR is read-only
      setsockopt(sock, 'SO_ERROR', 1);
      // @ts-expect-error SO_RCVBUFFORCE is write-only
      getsockopt(sock, 'SO_RCVBUFFORCE');
      // @ts-expect-error unknown option
      getsockopt(sock, 'TCP_NODELEY');
      // @ts-expect-error timeouts are numbers of ms or null
      setsockopt(sock, 'SO_RCVTIMEO', '1s');
      // @ts-expect-error the view checks the same
      sockopt(sock).set('TCP_CONGESTION', 1);
      setsockopt(sock, 'SO_RCVTIMEO', null);
      setsockopt(sock, 'SO_LINGER', 5);
      setsockopt(sock, 1, 13, Buffer.alloc(8));
    });
  });
});
