import { connectBloodbank } from 'bloodbank';
import { registry } from 'bloodbank-catalogue';

export const bus = await connectBloodbank({ registry, name: 'notes-service' });

await bus.subscribe('fireflies.transcript.#', (event) => console.log(event.event_type, event.payload), {
  service: 'notes', // the handler's `event` is the union of the four fireflies.transcript.* envelopes
});
await bus.publish('fireflies.transcript.upload', {
  media_file: '/rec/standup.mp3',
  media_duration_seconds: 900,
  media_type: 'audio/mpeg',
});
