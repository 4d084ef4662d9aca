import { describe, expect, it } from 'vitest';
import { managementApi } from '../../../runtime/amqp/management.js';

const basic = (userAndPassword: string) => `Basic ${Buffer.from(userAndPassword).toString('base64')}`;

describe('managementApi: where the management API is, as rabbitmqadmin would find it', () => {
  it.each([
    ['amqp://localhost:5672', undefined, 'http://localhost:15672', '/', 'guest:guest'],
    [
      'amqp://user:p%40ss@rabbit.internal:5672/prod',
      undefined,
      'http://rabbit.internal:15672',
      'prod',
      'user:p@ss',
    ],
    ['amqps://bus.example.com', undefined, 'https://bus.example.com:15671', '/', 'guest:guest'],
    ['amqp://u:p@h/%2F', undefined, 'http://h:15672', '/', 'u:p'],
    ['amqp://[::1]:5672', undefined, 'http://[::1]:15672', '/', 'guest:guest'],
    ['amqp://u:p@h/v', 'http://mgmt:8080/', 'http://mgmt:8080', 'v', 'u:p'],
    ['amqp://u:p@h/v', 'https://admin:s%3Acret@mgmt/rabbit/', 'https://mgmt/rabbit', 'v', 'admin:s:cret'],
  ])('%s with %s → %s, vhost %s, %s', (rabbitUrl, managementUrl, baseUrl, vhost, credentials) => {
    const api = managementApi(rabbitUrl, managementUrl);
    expect(api).toEqual({ baseUrl, vhost, authorization: basic(credentials) });
    expect(api.baseUrl).not.toContain('@');
  });
});
