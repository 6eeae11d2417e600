import { useState } from 'react';
import { tabNames } from './Tabs.jsx';

export default function Tab({ name }) {
  const [clicks, setClicks] = useState(0);
  return (
    <button className={`tab tab-${name}`} onClick={() => setClicks(clicks + 1)}>
      tab v1 {name} of {tabNames.length}: {clicks}
    </button>
  );
}
