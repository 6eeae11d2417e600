import { useSyncExternalStore } from 'react';
import { subscribe, getCount, increment, label } from './store.js';

export default function StoreView() {
  const count = useSyncExternalStore(subscribe, getCount);
  return <button className="store-count" onClick={increment}>{label}: {count}</button>;
}
