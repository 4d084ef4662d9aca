#!/usr/bin/env node
import { Command } from 'commander';

const program = new Command('bb')
  .description('Bloodbank: schema-first event bus for RabbitMQ')
  .version('0.1.0');
program.parse();
