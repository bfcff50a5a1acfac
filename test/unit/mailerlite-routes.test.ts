import { ML_ROUTES, batchRequest, route } from '../../src/providers/mailerlite-routes';
import { apiRoutes } from '../../dev/emulators/mailerlite/routes';

describe('MailerLite routes, written once', () => {
  it('fills each {name} in, URL-encoded', () => {
    expect(ML_ROUTES.subscriber.path({ id: 'a+b@shop.example' })).toBe('/subscribers/a%2Bb%40shop.example');
    expect(ML_ROUTES.subscriberGroup.path({ id: '7', groupId: 'g/1' })).toBe('/subscribers/7/groups/g%2F1');
    expect(ML_ROUTES.groups.path({})).toBe('/groups');
  });

  it('refuses a path with a name left unfilled', () => {
    const loose = route('/groups/{id}') as { path(params: Record<string, string>): string };
    expect(() => loose.path({})).toThrow('route /groups/{id} needs a value for {id}');
  });

  it('puts a batch request under api/, with its body only when it has one', () => {
    expect(batchRequest('GET', ML_ROUTES.subscriber, { id: 'x@y.example' })).toEqual({
      method: 'GET',
      path: 'api/subscribers/x%40y.example',
    });
    expect(batchRequest('POST', ML_ROUTES.subscribers, {}, { email: 'x@y.example' })).toEqual({
      method: 'POST',
      path: 'api/subscribers',
      body: { email: 'x@y.example' },
    });
  });

  it('names only routes the emulator, kept on its own, serves', () => {
    const noop = async () => undefined;
    const served = new Set(
      apiRoutes({ batch: noop as never, importSubscribers: noop as never }).map((r) => r.pattern),
    );
    const missing = Object.values(ML_ROUTES)
      .map((r) => `/api${r.pattern}`)
      .filter((p) => !served.has(p));
    expect(missing).toEqual([]);
  });
});
